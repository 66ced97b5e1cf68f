import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { putAll } from "../../../utilities/dynamodb/batch.js";
import { createTestTable } from "../../../utilities/dynamodb/testing.js";
import { createPatientIds } from "../../../utilities/security/patient-id.js";
import { createBookingAccess, patientPartition, reservationKey } from "../booking-access.js";
import { createPatientDataCipher, rawAesKeyring } from "../private/patient-data-cipher.js";
import { ensurePatientDataKeyFile, readPatientDataKeyFile } from "../private/patient-data-keys.js";
import { BookingAccessService } from "../v1/booking_access_pb.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const secret = "the-patient-id-secret-of-this-test";
/** The ids were made with this one; the migration moves them to `secret` (a rotation). */
const previousSecret = "the-patient-id-secret-being-rotated-out";
const patientOf = (i: number) => ({
  name: `Patient Number${i}`,
  dateOfBirth: "1980-01-01",
  phone: "0700000000",
  email: `p${i}@example.se`,
});
const oldIdOf = (i: number) => createPatientIds(previousSecret)(patientOf(i));
const count = 300;

/** `npm run migrate -- patient-data` as an operator runs it: its own process, its arguments, its output, its exit. */
describe("npm run migrate -- patient-data", () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  const keyDir = mkdtempSync(path.join(tmpdir(), "bp-migrate-key-"));
  const keyFile = path.join(keyDir, "patient-data.key");

  beforeAll(async () => {
    table = await createTestTable(inject("dynamodbEndpoint"));
    ensurePatientDataKeyFile(keyFile);
    // Reservations as booking access wrote them before encryption: in the clear, ids under the previous secret.
    await putAll(
      table.documents,
      table.tableName,
      Array.from({ length: count }, (_, i) => {
        const id = `r-${i}`;
        const patientId = oldIdOf(i);
        return {
          ...reservationKey(id),
          type: "reservation",
          id,
          clientId: "client-a",
          status: "confirmed",
          providerInstanceId: "klinikbokning-demo",
          providerSlotId: `slot-${i}`,
          start: "2026-04-01T08:00:00.000Z",
          end: "2026-04-01T08:30:00.000Z",
          patientId,
          patient: patientOf(i),
          gsi1pk: patientPartition(patientId),
          gsi1sk: `2026-04-01T08:00:00.000Z#${id}`,
          createdAt: "2026-03-20T10:00:00.000Z",
        };
      }),
    );
  });
  afterAll(async () => {
    await table.drop();
    rmSync(keyDir, { recursive: true, force: true });
  });

  /** Runs the command; `killWhen` may kill it on a line of its output. */
  function run(args: string[], killWhen?: (line: string) => boolean) {
    const child = spawn(process.execPath, ["--import", "tsx", "src/access/booking/migration/main.ts", "patient-data", ...args], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        DYNAMODB_ENDPOINT: inject("dynamodbEndpoint"),
        DYNAMODB_TABLE: table.tableName,
        AWS_REGION: "eu-north-1",
        BP_PATIENT_ID_SECRET: secret,
        BP_PATIENT_ID_SECRET_PREVIOUS: previousSecret,
        BP_PATIENT_DATA_KEY_FILE: keyFile,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (killWhen && output.split("\n").some(killWhen)) child.kill("SIGKILL");
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    return new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal, output })),
    );
  }

  const reservationItems = async () => {
    const items: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await table.documents.send(new ScanCommand({ TableName: table.tableName, ExclusiveStartKey, ConsistentRead: true }));
      items.push(...(page.Items ?? []).filter((item) => item.type === "reservation"));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  };
  const encryptedBlobs = async () =>
    new Map(
      (await reservationItems())
        .filter((item) => item.patientData instanceof Uint8Array && item.patient === undefined)
        .map((item) => [String(item.id), Buffer.from(item.patientData as Uint8Array).toString("base64")]),
    );

  // Each test starts a process with a TypeScript loader: seconds on a busy machine.
  it("says what it would do on a dry run, and does nothing", async () => {
    const { code, output } = await run(["--dry-run"]);
    expect(code, output).toBe(0);
    expect(output).toContain(`Dry run: ${count} of ${count} reservations looked at.`);
    expect(output).toContain(`to encrypt: ${count}`);
    expect(output).toContain(`patient ids to change: ${count}`);
    expect((await encryptedBlobs()).size).toBe(0);
  }, 60_000);

  it("shows its progress, can be killed midway, and finishes every reservation exactly once when run again", async () => {
    const progress = /^ {2}(\d+) of (\d+) reservations/;
    const killed = await run(["--concurrency", "1"], (line) => Number(progress.exec(line)?.[1] ?? 0) >= 30);
    expect(killed.signal, killed.output).toBe("SIGKILL");
    expect(killed.output).toMatch(new RegExp(`^ {2}\\d+ of ${count} reservations \\(\\d+%\\)$`, "m"));
    const afterKill = await encryptedBlobs();
    expect(afterKill.size, "some were migrated before the kill").toBeGreaterThanOrEqual(30);
    expect(afterKill.size, "not all").toBeLessThan(count);

    const resumed = await run([]);
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toContain(`Done: ${count} of ${count} reservations looked at.`);
    expect(resumed.output).toContain(`encrypted: ${count - afterKill.size}`);
    expect(resumed.output).toContain(`already done: ${afterKill.size}`);
    expect(resumed.output).toContain(`patient ids changed: ${count - afterKill.size} (the old ids find their patients until `);

    const final = await encryptedBlobs();
    expect(final.size).toBe(count);
    for (const [id, blob] of afterKill) expect(final.get(id), `${id} was encrypted once`).toBe(blob);
    const items = await reservationItems();
    expect(items).toHaveLength(count);
    const ids = createPatientIds(secret);
    const access = createBookingAccess({
      documents: table.documents,
      tableName: table.tableName,
      cipher: createPatientDataCipher(rawAesKeyring(readPatientDataKeyFile(keyFile))),
    });
    const client = createClient(
      BookingAccessService,
      createRouterTransport(({ service }) => service(BookingAccessService, access)),
    );
    for (let i = 0; i < count; i += 37) {
      const { reservation } = await client.getReservation({ id: `r-${i}` });
      expect(reservation?.patient).toMatchObject({ name: `Patient Number${i}`, email: `p${i}@example.se` });
      expect(reservation?.patientId).toBe(ids(patientOf(i)));
      expect(
        (await client.listPatientReservations({ patientId: oldIdOf(i) })).reservations.map((r) => r.id),
        "by the old id",
      ).toEqual([`r-${i}`]);
    }
  }, 90_000);

  it("refuses an argument it cannot use, saying which", async () => {
    const { code, output } = await run(["--concurrency", "0"]);
    expect(code).toBe(2);
    expect(output).toContain("--concurrency must be a whole number of at least 1");
  }, 60_000);
});
