import { createHmac, randomBytes } from "node:crypto";
import { ScanCommand as RawScanCommand } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { createTestTable } from "../../../utilities/dynamodb/testing.js";
import { ErrorReason, hasReason } from "../../../utilities/errors/platform-error.js";
import { createPatientIds } from "../../../utilities/security/patient-id.js";
import { createBookingAccess, patientPartition, reservationKey } from "../booking-access.js";
import { createPatientDataCipher, type PersonalData, rawAesKeyring } from "../private/patient-data-cipher.js";
import { BookingAccessService } from "../v1/booking_access_pb.js";
import { migratePatientData, type PatientDataMigrationOptions } from "./patient-data-migration.js";

const secret = "the-patient-id-secret-before-and-after";
const madeAt = "2026-03-20T10:00:00.000Z";
const now = new Date("2026-03-21T10:00:00Z");
type Patient = NonNullable<PersonalData["patient"]>;

/** Patient ids as they were made before they counted the century: the HMAC of the last ten digits. */
function tenDigitId(withSecret: string, patient: Partial<Patient>): string {
  const pnr = patient.personalIdentityNumber?.replace(/[-+]/g, "");
  const identity = pnr ? `pnr:${pnr.slice(-10)}` : `dob:${patient.dateOfBirth ?? ""}|email:${(patient.email ?? "").trim().toLowerCase()}`;
  return `pat_${createHmac("sha256", withSecret).update(identity).digest("base64url").slice(0, 22)}`;
}

const person = (name: string, personalIdentityNumber: string, extra: Partial<Patient> = {}): Patient => ({
  name,
  personalIdentityNumber,
  dateOfBirth: "",
  phone: `070${randomBytes(3).readUIntBE(0, 3)}`,
  email: `${name.toLowerCase().replaceAll(" ", ".")}@example.se`,
  ...extra,
});

describe("the patient data migration", () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let cipher: ReturnType<typeof createPatientDataCipher>;
  let access: ReturnType<typeof createClient<typeof BookingAccessService>>;

  beforeEach(async () => {
    table = await createTestTable(inject("dynamodbEndpoint"));
    cipher = createPatientDataCipher(rawAesKeyring(randomBytes(32)));
    const impl = createBookingAccess({ documents: table.documents, tableName: table.tableName, cipher, now: () => now });
    access = createClient(
      BookingAccessService,
      createRouterTransport(({ service }) => service(BookingAccessService, impl)),
    );
  });
  afterEach(() => table.drop());

  /** A reservation item exactly as booking access wrote it before encryption: the patient and note in the clear. */
  async function seedInClear(id: string, patient: Patient, patientId = tenDigitId(secret, patient), note = `note for ${id}`) {
    const start = "2026-04-01T08:00:00.000Z";
    await table.documents.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          ...reservationKey(id),
          type: "reservation",
          id,
          clientId: "client-a",
          status: "confirmed",
          treatmentId: "dental-checkup",
          clinicId: "odenplan-clinic",
          providerInstanceId: "klinikbokning-demo",
          providerSlotId: `slot-${id}`,
          slotId: `token-${id}`,
          start,
          end: "2026-04-01T08:30:00.000Z",
          timeZone: "Europe/Stockholm",
          patientId,
          patient,
          note,
          gsi1pk: patientPartition(patientId),
          gsi1sk: `${start}#${id}`,
          createdAt: madeAt,
          updatedAt: madeAt,
          idempotencyKey: `key-${id}`,
        },
      }),
    );
  }

  const migrate = (options: Partial<PatientDataMigrationOptions> = {}) =>
    migratePatientData({
      documents: table.documents,
      tableName: table.tableName,
      cipher,
      patientIdSecret: secret,
      now: () => now,
      ...options,
    });
  const stored = async (id: string) =>
    (await table.documents.send(new GetCommand({ TableName: table.tableName, Key: reservationKey(id), ConsistentRead: true }))).Item!;
  const listed = async (patientId: string) => (await access.listPatientReservations({ patientId })).reservations.map((r) => r.id).sort();

  /** Every attribute of every item, binary ones read as text: what anyone with read access to the table sees. */
  async function everythingStored(): Promise<{ text: string; items: Record<string, unknown>[] }> {
    const items: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, never> | undefined;
    do {
      const page = await table.client.send(new RawScanCommand({ TableName: table.tableName, ExclusiveStartKey, ConsistentRead: true }));
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      ExclusiveStartKey = page.LastEvaluatedKey as typeof ExclusiveStartKey;
    } while (ExclusiveStartKey);
    return {
      items,
      text: JSON.stringify(items, (_key, value) => (value instanceof Uint8Array ? Buffer.from(value).toString("latin1") : value)),
    };
  }
  const blobs = async () =>
    new Map(
      (await everythingStored()).items
        .filter((item) => (item.type as { S: string }).S === "reservation" && item.patientData)
        .map((item) => [(item.id as { S: string }).S, Buffer.from((item.patientData as { B: Uint8Array }).B).toString("base64")]),
    );

  it("encrypts what lay in the clear, gives people born a century apart their own ids, and still finds them by the old one", async () => {
    const tolvan = person("Tolvan Tolvansson", "19121212-1212");
    const child = person("Tolva Tolvansdotter", "121212-1212"); // born 2012: the same ten digits, the same old id
    const noNumber = person("Nora Nummerlös", "", { dateOfBirth: "1985-05-05" });
    const notANumber = person("Nils Nines", "99999999-9999");
    await seedInClear("r-tolvan", tolvan);
    await seedInClear("r-child", child);
    await seedInClear("r-nonumber", noNumber);
    await seedInClear("r-invalid", notANumber);
    expect(tenDigitId(secret, tolvan)).toBe(tenDigitId(secret, child));
    const oldId = tenDigitId(secret, tolvan);

    const summary = await migrate();

    expect(summary).toMatchObject({ total: 4, examined: 4, encrypted: 4, idsChanged: 2, alreadyDone: 0, invalidNumbers: ["r-invalid"] });
    expect(summary).toMatchObject({ unrecognisedIds: [], unreadable: [], conflicts: [], interrupted: false });
    const { text } = await everythingStored();
    const inClear = [tolvan, child, noNumber, notANumber].flatMap((p) => [p.name, p.phone, p.email]);
    expect([...inClear, "1212-1212", "121212-1212", "99999999-9999", "note for"].filter((t) => text.includes(t))).toEqual([]);

    const ids = createPatientIds(secret);
    const tolvanId = ids({ personalIdentityNumber: "19121212-1212" });
    const childId = ids({ personalIdentityNumber: "20121212-1212" });
    expect(tolvanId).not.toBe(childId);
    expect(await stored("r-tolvan")).toMatchObject({ patientId: tolvanId, gsi1pk: `PATIENT#${tolvanId}` });
    expect(await stored("r-child")).toMatchObject({ patientId: childId, gsi1pk: `PATIENT#${childId}` });
    expect((await stored("r-nonumber")).patientId, "no number: the id did not depend on one").toBe(tenDigitId(secret, noNumber));
    expect((await stored("r-invalid")).patientId, "not a number: the id is kept").toBe(tenDigitId(secret, notANumber));

    const { reservation } = await access.getReservation({ id: "r-child" });
    expect(reservation?.patient).toMatchObject({ ...child, personalIdentityNumber: "20121212-1212" });
    expect(reservation?.note).toBe("note for r-child");
    expect(await listed(tolvanId)).toEqual(["r-tolvan"]);
    expect(await listed(childId)).toEqual(["r-child"]);
    expect(await listed(oldId), "the old id (shared, as before) finds both for the grace period").toEqual(["r-child", "r-tolvan"]);
  });

  it("leaves everything as it is when run again", async () => {
    await seedInClear("r-1", person("Anna Andersson", "19900101-1239"));
    await access.beginReservation({
      reservation: {
        id: "r-new",
        clientId: "client-a",
        providerInstanceId: "klinikbokning-demo",
        providerSlotId: "slot-new",
        start: timestampFromDate(new Date("2026-04-01T08:00:00Z")),
        end: timestampFromDate(new Date("2026-04-01T08:30:00Z")),
        patientId: createPatientIds(secret)({ personalIdentityNumber: "19811218-9876" }),
        patient: person("Bertil Berg", "19811218-9876"),
      },
      idempotencyKey: "k-new",
      requestHash: "h",
    });
    expect(await migrate()).toMatchObject({ encrypted: 1, idsChanged: 1, alreadyDone: 1 });
    const before = await everythingStored();
    expect(await migrate()).toMatchObject({ total: 2, encrypted: 0, idsChanged: 0, alreadyDone: 2 });
    expect((await everythingStored()).text).toBe(before.text);
  });

  it("changes nothing on a dry run, and says what a run would do", async () => {
    await seedInClear("r-1", person("Anna Andersson", "19900101-1239"));
    await seedInClear("r-2", person("Bo Ek", "8112189876"));
    const before = await everythingStored();
    expect(await migrate({ dryRun: true })).toMatchObject({ dryRun: true, total: 2, encrypted: 2, idsChanged: 2 });
    expect((await everythingStored()).text).toBe(before.text);
  });

  it("can be interrupted anywhere and run again: every reservation migrated exactly once, none lost", async () => {
    const people = Array.from({ length: 60 }, (_, i) => person(`Patient ${i}`, withCheckDigit(`19900101${String(i).padStart(3, "0")}`)));
    for (const [i, p] of people.entries()) await seedInClear(`r-${i}`, p);
    let writes = 0;
    const crash = await migrate({
      afterWrite: () => {
        if (++writes === 17) throw new Error("the process died here");
      },
    }).catch((error: unknown) => error);
    expect(crash).toBeInstanceOf(Error);
    const afterCrash = await blobs();
    expect(afterCrash.size, "some were migrated before the crash, not all").toBeGreaterThanOrEqual(17);
    expect(afterCrash.size).toBeLessThan(60);

    const resumed = await migrate();
    expect(resumed).toMatchObject({
      total: 60,
      examined: 60,
      encrypted: 60 - afterCrash.size,
      alreadyDone: afterCrash.size,
      conflicts: [],
    });
    const final = await blobs();
    expect(final.size).toBe(60);
    for (const [id, blob] of afterCrash) expect(final.get(id), `${id} was not migrated twice`).toBe(blob);
    const ids = createPatientIds(secret);
    for (const [i, p] of people.entries()) {
      const { reservation } = await access.getReservation({ id: `r-${i}` });
      expect(reservation?.patient?.name).toBe(p.name);
      expect(reservation?.patientId).toBe(ids(p, new Date(madeAt)));
      expect(await listed(tenDigitId(secret, p))).toEqual([`r-${i}`]);
    }
  });

  it("never overwrites a change made while it runs: two runs at once and the live service, every item encrypted once", async () => {
    for (let i = 0; i < 30; i++)
      await seedInClear(`r-${i}`, person(`Patient ${i}`, withCheckDigit(`19850505${String(i).padStart(3, "0")}`)));
    const [first, second] = await Promise.all([
      migrate({ concurrency: 4 }),
      migrate({ concurrency: 4 }),
      ...Array.from({ length: 30 }, (_, i) =>
        // Two transactions on one item at one instant: DynamoDB cancels one, and the service's caller retries, as ours do.
        retryOnWriteConflict(() => access.recordCancellation({ id: `r-${i}`, statusReason: "cancelled meanwhile" })),
      ),
    ]);
    expect(first!.encrypted + second!.encrypted).toBe(30);
    expect([...first!.conflicts, ...second!.conflicts]).toEqual([]);
    for (let i = 0; i < 30; i++) {
      const { reservation } = await access.getReservation({ id: `r-${i}` });
      expect(reservation).toMatchObject({ statusReason: "cancelled meanwhile", patient: { name: `Patient ${i}` } });
    }
    expect((await everythingStored()).text).not.toContain("Patient 1");
  });

  it("moves ids to a rotated secret, the old ids finding their patients for the grace period, and leaves ids no known secret made", async () => {
    const previous = secret;
    const rotated = "a-brand-new-patient-id-secret-after-rotation";
    const anna = person("Anna Andersson", "19900101-1239");
    const bo = person("Bo Ek", "19811218-9876");
    const stranger = person("Sten Stranger", "19700101-1233");
    const annaBefore = createPatientIds(previous)(anna);
    await seedInClear("r-anna", anna, annaBefore);
    await seedInClear("r-bo", bo, tenDigitId(previous, bo));
    await seedInClear("r-stranger", stranger, tenDigitId("a-secret-nobody-configured", stranger));

    const summary = await migrate({ patientIdSecret: rotated, previousPatientIdSecret: previous, aliasLifetimeMs: 7 * 86_400_000 });

    expect(summary).toMatchObject({ encrypted: 3, idsChanged: 2, unrecognisedIds: ["r-stranger"] });
    const annaAfter = createPatientIds(rotated)(anna);
    expect((await stored("r-anna")).patientId).toBe(annaAfter);
    expect(await listed(annaAfter)).toEqual(["r-anna"]);
    expect(await listed(annaBefore), "the old id, within the grace period").toEqual(["r-anna"]);
    expect(summary.aliasesExpireAt).toEqual(new Date(now.getTime() + 7 * 86_400_000));
    expect((await stored("r-stranger")).patientId, "kept: no known secret made it").toBe(
      tenDigitId("a-secret-nobody-configured", stranger),
    );
    expect((await access.getReservation({ id: "r-stranger" })).reservation?.patient?.name, "encrypted all the same").toBe(stranger.name);
  });
});

async function retryOnWriteConflict<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!hasReason(error, ErrorReason.WRITE_CONFLICT) || attempt === 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
    }
  }
}

/** Nine digits YYMMDDNNN (or twelve with the century) and the Luhn check digit that completes them. */
function withCheckDigit(digits: string): string {
  const ten = digits.slice(-9);
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    const n = Number(ten[i]) * (i % 2 === 0 ? 2 : 1);
    sum += n > 9 ? n - 9 : n;
  }
  const full = `${digits}${(10 - (sum % 10)) % 10}`;
  return `${full.slice(0, -4)}-${full.slice(-4)}`;
}
