import { randomBytes } from "node:crypto";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { PatientSchema, ReservationSchema, ReservationStatus } from "../../contracts/v1/booking_pb.js";
import { createTestTable } from "../../utilities/dynamodb/testing.js";
import { ErrorReason, metadataOf, reasonOf } from "../../utilities/errors/platform-error.js";
import { createBookingAccess, patientAliasKey, reservationKey } from "./booking-access.js";
import { createPatientDataCipher, rawAesKeyring } from "./private/patient-data-cipher.js";
import { BeginOutcome, BookingAccessService } from "./v1/booking_access_pb.js";

const t0 = new Date("2026-03-20T10:00:00Z");
const at = (ms: number) => timestampFromDate(new Date(t0.getTime() + ms));

const reservation = (id: string, providerSlotId: string, patientId = "patient-1", clientId = "client-a") =>
  create(ReservationSchema, {
    id,
    clientId,
    treatmentId: "dental-checkup",
    clinicId: "odenplan-clinic",
    providerInstanceId: "klinikbokning-demo",
    providerSlotId,
    slotId: `token-for-${providerSlotId}`,
    start: timestampFromDate(new Date("2026-03-29T08:00:00Z")),
    end: timestampFromDate(new Date("2026-03-29T08:30:00Z")),
    timeZone: "Europe/Stockholm",
    patientId,
    patient: create(PatientSchema, {
      name: "Anna Andersson",
      personalIdentityNumber: "19900101-1239",
      phone: "0701234567",
      email: "anna@example.se",
    }),
    note: "Afraid of needles; please call before",
  });

describe("reservations in DynamoDB", () => {
  /** Booking access's own clock, for reads (aliases expire); writes take the request's `now`. */
  let clock = t0;
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let access: ReturnType<typeof createClient<typeof BookingAccessService>>;

  beforeAll(async () => {
    table = await createTestTable(inject("dynamodbEndpoint"));
    const impl = createBookingAccess({
      documents: table.documents,
      tableName: table.tableName,
      cipher: createPatientDataCipher(rawAesKeyring(randomBytes(32))),
      now: () => clock,
    });
    access = createClient(
      BookingAccessService,
      createRouterTransport(({ service }) => service(BookingAccessService, impl)),
    );
  });
  afterAll(() => table.drop());

  const begin = (id: string, slot: string, key = `key-${id}`, hash = "hash-1", now = at(0), clientId = "client-a") =>
    access.beginReservation({ reservation: reservation(id, slot, "patient-1", clientId), idempotencyKey: key, requestHash: hash, now });

  it("begins a reservation as pending, with its instants and patient kept exactly", async () => {
    const started = await begin("r-1", "slot-1");
    expect(started.outcome).toBe(BeginOutcome.STARTED);
    const { reservation: stored } = await access.getReservation({ id: "r-1" });
    expect(stored).toMatchObject({ id: "r-1", status: ReservationStatus.PENDING, providerSlotId: "slot-1", timeZone: "Europe/Stockholm" });
    expect(stored!.patient).toMatchObject({ name: "Anna Andersson", personalIdentityNumber: "19900101-1239", email: "anna@example.se" });
    expect(stored!.note).toBe("Afraid of needles; please call before");
    expect(timestampDate(stored!.start!).toISOString()).toBe("2026-03-29T08:00:00.000Z");
  });

  it("lets exactly one of fifty patients racing for one slot have it", async () => {
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => begin(`race-${i}`, "slot-race")));
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    for (const loss of lost) expect([ErrorReason.SLOT_UNAVAILABLE, ErrorReason.WRITE_CONFLICT]).toContain(reasonOf(loss.reason));
  });

  it("answers a repeated key with the same body by the first answer, once there is one", async () => {
    await begin("r-idem", "slot-idem", "key-idem", "hash-a");
    const running = await begin("r-idem-again", "slot-idem", "key-idem", "hash-a");
    expect(running.outcome).toBe(BeginOutcome.IN_PROGRESS);
    await access.recordBooking({ id: "r-idem", providerBookingRef: "B-1", now: at(1000) });
    const replay = await begin("r-idem-again", "slot-idem", "key-idem", "hash-a");
    expect(replay.outcome).toBe(BeginOutcome.REPLAY);
    expect(replay.reservation).toMatchObject({ id: "r-idem", status: ReservationStatus.CONFIRMED, providerBookingRef: "B-1" });
    expect(replay.firstAnswerPending).toBe(false);
    expect(replay.reservation?.patient, "no personal data kept for replays").toBeUndefined();
    await expect(access.getReservation({ id: "r-idem-again" })).rejects.toMatchObject({ code: Code.NotFound });
  });

  it("answers a repeated key whose request was refused with the same refusal", async () => {
    await begin("r-refused", "slot-refused", "key-refused", "hash-a");
    await access.recordRelease({
      id: "r-refused",
      refusal: { reason: ErrorReason.SLOT_UNAVAILABLE, message: "the provider no longer has the slot" },
      now: at(1),
    });
    const replay = await begin("r-refused-again", "slot-refused", "key-refused", "hash-a");
    expect(replay).toMatchObject({
      outcome: BeginOutcome.REPLAY,
      refusal: { reason: ErrorReason.SLOT_UNAVAILABLE, message: "the provider no longer has the slot" },
    });
    expect(replay.reservation).toBeUndefined();
  });

  it("answers a retry of a request first answered 'still pending' with the reservation as it is now", async () => {
    await begin("r-await", "slot-await", "key-await", "hash-a");
    await access.recordAwaitingProvider({ id: "r-await", statusReason: "verifying with the provider", now: at(1) });
    const meanwhile = await begin("r-await-2", "slot-await", "key-await", "hash-a");
    expect(meanwhile).toMatchObject({
      outcome: BeginOutcome.REPLAY,
      firstAnswerPending: true,
      reservation: { status: ReservationStatus.PENDING },
    });
    expect((await access.listPendingReservations({ beganBefore: at(2) })).reservations.map((r) => r.id)).toContain("r-await");
    await access.recordHold({ id: "r-await", providerBookingRef: "H-await", holdExpiresAt: at(600_000), now: at(3) });
    const later = await begin("r-await-3", "slot-await", "key-await", "hash-a");
    expect(later).toMatchObject({
      outcome: BeginOutcome.REPLAY,
      firstAnswerPending: true,
      reservation: { status: ReservationStatus.HELD },
    });
  });

  it("keeps each client's idempotency keys apart: the same key from two clients is two requests", async () => {
    expect((await begin("r-client-a", "slot-client-a", "shared-key", "hash-a", at(0), "client-a")).outcome).toBe(BeginOutcome.STARTED);
    expect((await begin("r-client-b", "slot-client-b", "shared-key", "hash-b", at(0), "client-b")).outcome).toBe(BeginOutcome.STARTED);
  });

  it("hides a reservation from every client but the one that made it", async () => {
    await begin("r-owned", "slot-owned", "key-owned", "hash-a", at(0), "client-a");
    expect((await access.getReservation({ id: "r-owned", clientId: "client-a" })).reservation?.id).toBe("r-owned");
    const other = await access.getReservation({ id: "r-owned", clientId: "client-b" }).catch((e: unknown) => e);
    expect(reasonOf(other)).toBe(ErrorReason.RESERVATION_NOT_FOUND);
    expect(
      (await access.listPatientReservations({ patientId: "patient-1", clientId: "client-b" })).reservations.map((r) => r.id),
    ).not.toContain("r-owned");
    expect(
      (await access.listPatientReservations({ patientId: "patient-1", clientId: "client-a" })).reservations.map((r) => r.id),
    ).toContain("r-owned");
  });

  it("refuses a repeated key with another body", async () => {
    await begin("r-reuse", "slot-reuse", "key-reuse", "hash-a");
    expect((await begin("r-reuse-2", "slot-other", "key-reuse", "hash-b")).outcome).toBe(BeginOutcome.KEY_REUSED);
  });

  it("forgets a key after 24 hours", async () => {
    await begin("r-old", "slot-old-1", "key-old", "hash-a");
    const dayLater = at(24 * 3_600_000 + 1);
    expect((await begin("r-new", "slot-old-2", "key-old", "hash-b", dayLater)).outcome).toBe(BeginOutcome.STARTED);
  });

  it("frees the slot at once when a reservation is released", async () => {
    await begin("r-release", "slot-release");
    await access.recordRelease({
      id: "r-release",
      refusal: { reason: ErrorReason.SLOT_UNAVAILABLE, message: "provider said no" },
      now: at(1),
    });
    expect((await begin("r-after-release", "slot-release")).outcome).toBe(BeginOutcome.STARTED);
    expect((await access.getReservation({ id: "r-release" })).reservation).toMatchObject({
      status: ReservationStatus.RELEASED,
      statusReason: "provider said no",
    });
  });

  it("lets a lapsed hold's slot go to the next patient, and then will not record the lapsed hold as booked", async () => {
    await begin("r-hold", "slot-hold");
    await access.recordHold({ id: "r-hold", providerBookingRef: "H-1", holdExpiresAt: at(10 * 60_000), now: at(1) });
    const early = await begin("r-too-early", "slot-hold", "key-early", "h", at(5 * 60_000)).catch((e: unknown) => e);
    expect(reasonOf(early)).toBe(ErrorReason.SLOT_UNAVAILABLE);
    expect((await begin("r-next", "slot-hold", "key-next", "h", at(11 * 60_000))).outcome).toBe(BeginOutcome.STARTED);
    const late = await access.recordBooking({ id: "r-hold", now: at(12 * 60_000) }).catch((e: unknown) => e);
    expect(reasonOf(late)).toBe(ErrorReason.SLOT_CLAIM_LOST);
  });

  it("keeps a booked hold's slot for good", async () => {
    await begin("r-confirm", "slot-confirm");
    await access.recordHold({ id: "r-confirm", providerBookingRef: "H-2", holdExpiresAt: at(60_000), now: at(1) });
    await access.recordBooking({ id: "r-confirm", now: at(30_000) });
    const later = await begin("r-later", "slot-confirm", "key-later", "h", at(3_600_000)).catch((e: unknown) => e);
    expect(reasonOf(later)).toBe(ErrorReason.SLOT_UNAVAILABLE);
    const { reservation: confirmed } = await access.getReservation({ id: "r-confirm" });
    expect(confirmed).toMatchObject({ status: ReservationStatus.CONFIRMED, providerBookingRef: "H-2" });
    expect(confirmed?.holdExpiresAt).toBeUndefined();
  });

  it("will not move a reservation that has moved on, and says where it stands", async () => {
    await begin("r-twice", "slot-twice");
    await access.recordBooking({ id: "r-twice", now: at(1) });
    const error = await access
      .recordRelease({ id: "r-twice", refusal: { reason: ErrorReason.SLOT_UNAVAILABLE, message: "late" } })
      .catch((e: unknown) => e);
    expect(reasonOf(error)).toBe(ErrorReason.RESERVATION_CHANGED);
    expect(metadataOf(error)).toEqual({ current_status: "confirmed" });
  });

  it("frees the slot when a held or confirmed reservation is cancelled, or a hold expires", async () => {
    await begin("r-cancel", "slot-cancel");
    await access.recordBooking({ id: "r-cancel", now: at(1) });
    await access.recordCancellation({ id: "r-cancel", statusReason: "cancelled by the patient", now: at(2) });
    expect((await begin("r-cancel-next", "slot-cancel", "key-cancel-next")).outcome).toBe(BeginOutcome.STARTED);
    await begin("r-expire", "slot-expire");
    await access.recordHold({ id: "r-expire", providerBookingRef: "H-3", holdExpiresAt: at(60_000), now: at(1) });
    expect((await access.listLapsedHolds({ expiredBefore: at(61_000) })).reservations.map((r) => r.id)).toContain("r-expire");
    await access.recordExpiry({ id: "r-expire", statusReason: "the hold lapsed", now: at(61_000) });
    expect((await access.listLapsedHolds({ expiredBefore: at(61_000) })).reservations.map((r) => r.id)).not.toContain("r-expire");
    expect((await access.getReservation({ id: "r-expire" })).reservation?.status).toBe(ReservationStatus.EXPIRED);
  });

  it("lists a patient's reservations by start, and the pending ones for the reconciler", async () => {
    await access.beginReservation({
      reservation: reservation("p2-a", "slot-p2-a", "patient-2", "client-p2"),
      idempotencyKey: "k-p2-a",
      requestHash: "h",
      now: at(0),
    });
    await access.beginReservation({
      reservation: reservation("p2-b", "slot-p2-b", "patient-2", "client-p2"),
      idempotencyKey: "k-p2-b",
      requestHash: "h",
      now: at(0),
    });
    await access.recordBooking({ id: "p2-a", now: at(1) });
    const mine = await access.listPatientReservations({ patientId: "patient-2" });
    expect(mine.reservations.map((r) => r.id).sort()).toEqual(["p2-a", "p2-b"]);
    const pending = await access.listPendingReservations({ beganBefore: at(1) });
    expect(pending.reservations.map((r) => r.id)).toContain("p2-b");
    expect(pending.reservations.map((r) => r.id)).not.toContain("p2-a");
    expect((await access.listPendingReservations({ beganBefore: at(-1) })).reservations).toEqual([]);
  });

  describe("patient data at rest", () => {
    const ingrid = create(PatientSchema, {
      name: "Ingrid Lindqvist-Öberg",
      personalIdentityNumber: "19121212-1212",
      dateOfBirth: "1912-12-12",
      phone: "+46 70 555 01 99",
      email: "ingrid.lindqvist@example.se",
    });
    const note = "Hearing aid; speak up";
    /** Every way the patient could be written down, the personnummer in each of its forms. */
    const clearTexts = [
      ingrid.name,
      "Lindqvist",
      "19121212-1212",
      "191212121212",
      "121212-1212",
      "121212+1212",
      "1212121212",
      ingrid.phone,
      "555 01 99",
      ingrid.email,
      note,
    ];

    /** Every attribute of every item of the table, binary ones read as text, as anyone with read access to the table sees it. */
    async function everythingStored(): Promise<string> {
      const items: unknown[] = [];
      let ExclusiveStartKey: Record<string, never> | undefined;
      do {
        const page = await table.client.send(new ScanCommand({ TableName: table.tableName, ExclusiveStartKey }));
        items.push(...(page.Items ?? []));
        ExclusiveStartKey = page.LastEvaluatedKey as typeof ExclusiveStartKey;
      } while (ExclusiveStartKey);
      return JSON.stringify(items, (_key, value) => (value instanceof Uint8Array ? Buffer.from(value).toString("latin1") : value));
    }

    it("are nowhere in the table in the clear, through every verb that writes, yet read back whole", async () => {
      for (const [id, slot] of [
        ["enc-held", "slot-enc-1"],
        ["enc-released", "slot-enc-2"],
        ["enc-cancelled", "slot-enc-3"],
      ] as const) {
        await access.beginReservation({
          reservation: { ...reservation(id, slot, "patient-ingrid"), patient: ingrid, note },
          idempotencyKey: `key-${id}`,
          requestHash: "h",
          now: at(0),
        });
      }
      await access.recordHold({ id: "enc-held", providerBookingRef: "H-enc", holdExpiresAt: at(600_000), now: at(1) });
      await access.recordRelease({ id: "enc-released", refusal: { reason: ErrorReason.SLOT_UNAVAILABLE, message: "taken" }, now: at(1) });
      await access.recordBooking({ id: "enc-cancelled", now: at(1) });
      await access.recordCancellation({ id: "enc-cancelled", statusReason: "cancelled by the patient", now: at(2) });
      await access.beginReservation({
        reservation: { ...reservation("enc-retry", "slot-enc-1", "patient-ingrid"), patient: ingrid, note },
        idempotencyKey: "key-enc-held",
        requestHash: "h",
        now: at(3),
      });

      const stored = await everythingStored();
      expect(stored, "the test table holds the reservations").toContain("RESERVATION#enc-held");
      expect(clearTexts.filter((text) => stored.includes(text))).toEqual([]);

      const { reservation: read } = await access.getReservation({ id: "enc-held" });
      expect(read?.patient).toEqual(ingrid);
      expect(read?.note).toBe(note);
      const listed = await access.listPatientReservations({ patientId: "patient-ingrid" });
      expect(listed.reservations.map((r) => r.id).sort()).toEqual(["enc-cancelled", "enc-held", "enc-released"]);
      expect(listed.reservations.every((r) => r.patient?.email === ingrid.email)).toBe(true);
    });

    it("still reads a reservation written in the clear before encryption, until the migration encrypts it", async () => {
      await table.documents.send(
        new PutCommand({
          TableName: table.tableName,
          Item: {
            ...reservationKey("legacy-1"),
            type: "reservation",
            id: "legacy-1",
            clientId: "client-a",
            status: "confirmed",
            providerInstanceId: "klinikbokning-demo",
            providerSlotId: "slot-legacy",
            start: "2026-03-29T08:00:00.000Z",
            end: "2026-03-29T08:30:00.000Z",
            patientId: "patient-legacy",
            patient: { name: "Lars Legacy", personalIdentityNumber: "19900101-1239", phone: "0700000000", email: "lars@example.se" },
            note: "old",
            gsi1pk: "PATIENT#patient-legacy",
            gsi1sk: "2026-03-29T08:00:00.000Z#legacy-1",
          },
        }),
      );
      expect((await access.getReservation({ id: "legacy-1" })).reservation).toMatchObject({
        patient: { name: "Lars Legacy" },
        note: "old",
      });
      expect((await access.listPatientReservations({ patientId: "patient-legacy" })).reservations.map((r) => r.id)).toEqual(["legacy-1"]);
    });

    it("refuses personal data that was altered, or moved from another reservation, rather than hand out the wrong patient", async () => {
      await begin("enc-a", "slot-enc-a");
      await begin("enc-b", "slot-enc-b");
      const blobOf = async (id: string) =>
        (await table.documents.send(new GetCommand({ TableName: table.tableName, Key: reservationKey(id) }))).Item!
          .patientData as Uint8Array;
      const setBlob = (id: string, blob: Uint8Array) =>
        table.documents.send(
          new UpdateCommand({
            TableName: table.tableName,
            Key: reservationKey(id),
            UpdateExpression: "SET patientData = :blob",
            ExpressionAttributeValues: { ":blob": blob },
          }),
        );
      await setBlob("enc-b", await blobOf("enc-a"));
      expect(await access.getReservation({ id: "enc-b" }).catch((e: unknown) => e)).toMatchObject({ code: Code.DataLoss });
      const altered = Uint8Array.from(await blobOf("enc-a"));
      altered[altered.length - 5]! ^= 0x01;
      await setBlob("enc-a", altered);
      expect(await access.getReservation({ id: "enc-a" }).catch((e: unknown) => e)).toMatchObject({ code: Code.DataLoss });
    });
  });

  describe("patient aliases", () => {
    const alias = (from: string, to: string, expiresAt: number) =>
      table.documents.send(
        new PutCommand({
          TableName: table.tableName,
          Item: { ...patientAliasKey(from, to), type: "patient-alias", patientId: to, expiresAt, ttl: Math.ceil(expiresAt / 1000) },
        }),
      );
    const listed = async (patientId: string) =>
      (await access.listPatientReservations({ patientId, clientId: "client-a" })).reservations.map((r) => r.id).sort();

    it("let an old patient id find the reservations now under the new one, until the alias expires", async () => {
      await access.beginReservation({
        reservation: reservation("al-1", "slot-al-1", "pat-new"),
        idempotencyKey: "k-al-1",
        requestHash: "h",
        now: at(0),
      });
      await access.beginReservation({
        reservation: reservation("al-2", "slot-al-2", "pat-old"),
        idempotencyKey: "k-al-2",
        requestHash: "h",
        now: at(0),
      });
      await alias("pat-old", "pat-new", t0.getTime() + 30 * 86_400_000);
      expect(await listed("pat-old"), "the old id's own (not yet migrated) and the new id's").toEqual(["al-1", "al-2"]);
      expect(await listed("pat-new"), "never the other way round").toEqual(["al-1"]);
      clock = new Date(t0.getTime() + 30 * 86_400_000 + 1);
      try {
        expect(await listed("pat-old"), "the grace period is over, whether or not TTL has deleted the alias").toEqual(["al-2"]);
      } finally {
        clock = t0;
      }
    });

    it("are followed through a second rotation within the grace period, and a loop ends", async () => {
      await access.beginReservation({
        reservation: reservation("al-3", "slot-al-3", "pat-c"),
        idempotencyKey: "k-al-3",
        requestHash: "h",
        now: at(0),
      });
      await alias("pat-a", "pat-b", t0.getTime() + 86_400_000);
      await alias("pat-b", "pat-c", t0.getTime() + 86_400_000);
      await alias("pat-c", "pat-a", t0.getTime() + 86_400_000);
      expect(await listed("pat-a")).toEqual(["al-3"]);
    });
  });
});
