import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { PatientSchema, ReservationSchema } from "../../contracts/v1/booking_pb.js";
import { createTestTable } from "../../utilities/dynamodb/testing.js";
import { createBookingAccess } from "./booking-access.js";
import { BeginOutcome, BookingAccessService } from "./v1/booking_access_pb.js";

const t0 = new Date("2026-03-20T10:00:00Z");
const at = (ms: number) => timestampFromDate(new Date(t0.getTime() + ms));

const reservation = (id: string, providerSlotId: string, patientId = "patient-1") =>
  create(ReservationSchema, {
    id,
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
      personalIdentityNumber: "19900101-1234",
      phone: "0701234567",
      email: "anna@example.se",
    }),
  });

describe("reservations in DynamoDB", () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let access: ReturnType<typeof createClient<typeof BookingAccessService>>;

  beforeAll(async () => {
    table = await createTestTable(inject("dynamodbEndpoint"));
    const impl = createBookingAccess({ documents: table.documents, tableName: table.tableName });
    access = createClient(
      BookingAccessService,
      createRouterTransport(({ service }) => service(BookingAccessService, impl)),
    );
  });
  afterAll(() => table.drop());

  const begin = (id: string, slot: string, key = `key-${id}`, hash = "hash-1", now = at(0)) =>
    access.beginReservation({ reservation: reservation(id, slot), idempotencyKey: key, requestHash: hash, now });

  it("begins a reservation as pending, with its instants and patient kept exactly", async () => {
    const started = await begin("r-1", "slot-1");
    expect(started.outcome).toBe(BeginOutcome.STARTED);
    const { reservation: stored } = await access.getReservation({ id: "r-1" });
    expect(stored).toMatchObject({ id: "r-1", status: "pending", providerSlotId: "slot-1", timeZone: "Europe/Stockholm" });
    expect(stored!.patient?.personalIdentityNumber).toBe("19900101-1234");
    expect(timestampDate(stored!.start!).toISOString()).toBe("2026-03-29T08:00:00.000Z");
  });

  it("lets exactly one of fifty patients racing for one slot have it", async () => {
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => begin(`race-${i}`, "slot-race")));
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    for (const loss of lost) expect([Code.AlreadyExists, Code.Aborted]).toContain(ConnectError.from(loss.reason).code);
  });

  it("answers a repeated key with the same body by the first response, once complete", async () => {
    await begin("r-idem", "slot-idem", "key-idem", "hash-a");
    const running = await begin("r-idem-again", "slot-idem", "key-idem", "hash-a");
    expect(running.outcome).toBe(BeginOutcome.IN_PROGRESS);
    await access.settleReservation({
      id: "r-idem",
      expectedStatus: "pending",
      newStatus: "confirmed",
      providerBookingRef: "B-1",
      idempotencyKey: "key-idem",
      responseStatus: 201,
      responseBody: '{"id":"r-idem"}',
      now: at(1000),
    });
    const replay = await begin("r-idem-again", "slot-idem", "key-idem", "hash-a");
    expect(replay).toMatchObject({ outcome: BeginOutcome.REPLAY, storedStatus: 201, storedBody: '{"id":"r-idem"}' });
    await expect(access.getReservation({ id: "r-idem-again" })).rejects.toMatchObject({ code: Code.NotFound });
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
    await access.settleReservation({
      id: "r-release",
      expectedStatus: "pending",
      newStatus: "released",
      releaseClaim: true,
      statusReason: "provider said no",
      now: at(1),
    });
    expect((await begin("r-after-release", "slot-release")).outcome).toBe(BeginOutcome.STARTED);
    expect((await access.getReservation({ id: "r-release" })).reservation).toMatchObject({
      status: "released",
      statusReason: "provider said no",
    });
  });

  it("lets a lapsed hold's slot go to the next patient, and then refuses to confirm the lapsed hold", async () => {
    await begin("r-hold", "slot-hold");
    const holdExpiresAt = at(10 * 60_000);
    await access.settleReservation({
      id: "r-hold",
      expectedStatus: "pending",
      newStatus: "held",
      holdExpiresAt,
      claimExpiresAt: holdExpiresAt,
      now: at(1),
    });
    await expect(begin("r-too-early", "slot-hold", "key-early", "h", at(5 * 60_000))).rejects.toMatchObject({ code: Code.AlreadyExists });
    expect((await begin("r-next", "slot-hold", "key-next", "h", at(11 * 60_000))).outcome).toBe(BeginOutcome.STARTED);
    await expect(
      access.settleReservation({ id: "r-hold", expectedStatus: "held", newStatus: "confirmed", now: at(12 * 60_000) }),
    ).rejects.toMatchObject({ code: Code.FailedPrecondition });
  });

  it("keeps a confirmed hold's slot for good", async () => {
    await begin("r-confirm", "slot-confirm");
    const holdExpiresAt = at(60_000);
    await access.settleReservation({
      id: "r-confirm",
      expectedStatus: "pending",
      newStatus: "held",
      holdExpiresAt,
      claimExpiresAt: holdExpiresAt,
      now: at(1),
    });
    await access.settleReservation({ id: "r-confirm", expectedStatus: "held", newStatus: "confirmed", now: at(30_000) });
    await expect(begin("r-later", "slot-confirm", "key-later", "h", at(3_600_000))).rejects.toMatchObject({ code: Code.AlreadyExists });
    const { reservation: confirmed } = await access.getReservation({ id: "r-confirm" });
    expect(confirmed?.status).toBe("confirmed");
    expect(confirmed?.holdExpiresAt).toBeUndefined();
  });

  it("refuses to settle a reservation that is no longer in the expected status", async () => {
    await begin("r-twice", "slot-twice");
    await access.settleReservation({ id: "r-twice", expectedStatus: "pending", newStatus: "confirmed", now: at(1) });
    await expect(
      access.settleReservation({ id: "r-twice", expectedStatus: "pending", newStatus: "released", releaseClaim: true }),
    ).rejects.toMatchObject({
      code: Code.FailedPrecondition,
    });
  });

  it("lists a patient's reservations by start, and the pending ones for the reconciler", async () => {
    await access.beginReservation({
      reservation: reservation("p2-a", "slot-p2-a", "patient-2"),
      idempotencyKey: "k-p2-a",
      requestHash: "h",
      now: at(0),
    });
    await access.beginReservation({
      reservation: reservation("p2-b", "slot-p2-b", "patient-2"),
      idempotencyKey: "k-p2-b",
      requestHash: "h",
      now: at(0),
    });
    await access.settleReservation({ id: "p2-a", expectedStatus: "pending", newStatus: "confirmed", now: at(1) });
    const mine = await access.listPatientReservations({ patientId: "patient-2" });
    expect(mine.reservations.map((r) => r.id).sort()).toEqual(["p2-a", "p2-b"]);
    const pending = await access.listPendingReservations({ beganBefore: at(1) });
    expect(pending.reservations.map((r) => r.id)).toContain("p2-b");
    expect(pending.reservations.map((r) => r.id)).not.toContain("p2-a");
    expect((await access.listPendingReservations({ beganBefore: at(-1) })).reservations).toEqual([]);
  });
});
