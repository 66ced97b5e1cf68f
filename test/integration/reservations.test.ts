import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { BookingClient, Slot } from "@booking-platform/client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { KlinikbokningSimulator } from "../../src/access/provider/adapters/klinikbokning/simulator/klinikbokning-simulator.js";
import { ReservationStatus } from "../../src/contracts/v1/booking_pb.js";
import { type DemoSystem, startDemoSystem } from "./support/demo-system.js";

const anna = { name: "Anna Andersson", personalIdentityNumber: "19900101-1239", phone: "0701234567", email: "anna@example.se" };
const bertil = { name: "Bertil Berg", dateOfBirth: "1985-05-05", phone: "0707654321", email: "bertil@example.se" };

/**
 * Reservations through every service, composed in one process over in-memory
 * gRPC, against DynamoDB Local and the Klinikbokning simulator over HTTP. The
 * manager's clock is the test's, so rules about "now" can be tested at will.
 */
describe("reservations", () => {
  let demo: DemoSystem;
  let simulator: KlinikbokningSimulator;
  let client: BookingClient;
  let system: DemoSystem["system"];
  let offsetMs = 0;
  const now = () => new Date(Date.now() + offsetMs);
  let keys = 0;
  const key = () => `key-${++keys}-${Date.now()}`;

  beforeAll(async () => {
    demo = await startDemoSystem({ providerTimeoutMs: 400, holdSeconds: 600, now });
    ({ client, system, klinikbokning: simulator } = demo);
  });
  afterEach(() => {
    simulator.faults = {};
    offsetMs = 0;
  });
  afterAll(() => demo.close());

  /** Free slots on a weekday a few weeks ahead; each test takes different ones. */
  const used = new Set<string>();
  async function freeSlot(treatment = "dental-hygiene", date = weekdayAhead(21)): Promise<Slot> {
    const { data } = await client.GET("/v1/availability", { params: { query: { treatment, from: date, to: date, pageSize: 100 } } });
    const slot = data!.items.find((s) => !used.has(`${s.clinicId}|${s.start}|${s.practitionerName}`));
    if (slot) used.add(`${slot.clinicId}|${slot.start}|${slot.practitionerName}`);
    if (!slot) throw new Error(`ran out of free slots on ${date}`);
    return slot;
  }
  const reserve = (slot: Slot, patient: object = anna, idempotencyKey = key(), extra: object = {}) =>
    client.POST("/v1/reservations", {
      params: { header: { "idempotency-key": idempotencyKey } },
      body: { slotId: slot.slotId, treatmentId: slot.treatmentId, patient: patient as typeof anna, ...extra },
    });
  /** The slot as a search at the platform's current clock hands it out (a fresh slot id). */
  const sameSlotFoundNow = async (slot: Slot) => {
    const date = slot.localStart.slice(0, 10);
    const { data } = await client.GET("/v1/availability", {
      params: { query: { treatment: slot.treatmentId, clinic: [slot.clinicId], from: date, to: date, pageSize: 100 } },
    });
    const found = data!.items.find((s) => s.start === slot.start && s.practitionerName === slot.practitionerName);
    if (!found) throw new Error(`the slot at ${slot.start} is not offered any more`);
    return found;
  };
  const stillOffered = async (slot: Slot) => {
    const date = slot.localStart.slice(0, 10);
    const { data } = await client.GET("/v1/availability", {
      params: { query: { treatment: slot.treatmentId, clinic: [slot.clinicId], from: date, to: date, pageSize: 100 } },
    });
    return data!.items.some((s) => s.start === slot.start && s.practitionerName === slot.practitionerName);
  };

  it("holds a slot for the patient, hides it from others, and confirms it", async () => {
    const slot = await freeSlot();
    const held = await reserve(slot);
    expect(held.response.status).toBe(201);
    expect(held.data).toMatchObject({ status: "held", clinicId: slot.clinicId, start: slot.start, localStart: slot.localStart });
    expect(Date.parse(held.data!.holdExpiresAt!)).toBeGreaterThan(Date.now());
    expect(await stillOffered(slot)).toBe(false);
    const confirmed = await client.POST("/v1/reservations/{reservationId}/confirm", {
      params: { path: { reservationId: held.data!.id }, header: { "idempotency-key": key() } },
    });
    expect(confirmed.data?.status).toBe("confirmed");
    expect(
      (await client.GET("/v1/reservations/{reservationId}", { params: { path: { reservationId: held.data!.id } } })).data?.status,
    ).toBe("confirmed");
    const mine = await client.GET("/v1/patients/{patientId}/reservations", { params: { path: { patientId: held.data!.patientId } } });
    expect(mine.data!.items.map((r) => r.id)).toContain(held.data!.id);
  });

  it("refuses a personal identity number whose check digit is wrong with a 400 naming the field, and the slot stays free", async () => {
    // Another day than the other tests': one day's slots do not go round them all.
    const slot = await freeSlot("dental-hygiene", weekdayAhead(28));
    const refused = await reserve(slot, { ...anna, personalIdentityNumber: "19900101-1234" });
    expect(refused.response.status).toBe(400);
    expect(refused.error).toMatchObject({ code: "validation", errors: [{ name: "body.patient.personalIdentityNumber" }] });
    expect(await stillOffered(slot)).toBe(true);
  });

  it("lists the reservations of people born a century apart with the same ten digits apart", async () => {
    const [first, second] = [await freeSlot("dental-hygiene", weekdayAhead(28)), await freeSlot("dental-hygiene", weekdayAhead(28))];
    const tolvan1912 = await reserve(first, { ...anna, name: "Tolvan Tolvansson", personalIdentityNumber: "121212+1212" });
    const tolvan2012 = await reserve(second, { ...anna, name: "Tolvan Tolvansson", personalIdentityNumber: "121212-1212" });
    expect(tolvan1912.data!.patientId).not.toBe(tolvan2012.data!.patientId);
    const listed = await client.GET("/v1/patients/{patientId}/reservations", {
      params: { path: { patientId: tolvan1912.data!.patientId } },
    });
    expect(listed.data!.items.map((r) => r.id)).toEqual([tolvan1912.data!.id]);
  });

  it("gives one slot to exactly one of fifty patients reserving it at once; the others get 409", async () => {
    const slot = await freeSlot();
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => reserve(slot, { ...bertil, email: `patient${i}@example.se` })),
    );
    const statuses = responses.map((r) => r.response.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    for (const loser of responses.filter((r) => r.response.status === 409)) {
      expect(loser.response.headers.get("content-type")).toContain("application/problem+json");
    }
  });

  it("answers a retry with the same Idempotency-Key and body with the first reservation", async () => {
    const slot = await freeSlot();
    const idempotencyKey = key();
    const first = await reserve(slot, anna, idempotencyKey);
    const retry = await reserve(slot, anna, idempotencyKey);
    expect(retry.response.status).toBe(201);
    expect(retry.response.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.data?.id).toBe(first.data?.id);
  });

  it("refuses the same Idempotency-Key with another body (422)", async () => {
    const slot = await freeSlot();
    const idempotencyKey = key();
    await reserve(slot, anna, idempotencyKey);
    const other = await reserve(slot, anna, idempotencyKey, { note: "something else" });
    expect(other.response.status).toBe(422);
    expect(other.error?.detail).toContain("Idempotency-Key");
  });

  it("answers a duplicate that arrives while the first is still running with 409", async () => {
    const slot = await freeSlot();
    simulator.faults = { latencyMs: 250, pathPrefix: "/api/v2/holds" };
    const idempotencyKey = key();
    const first = reserve(slot, anna, idempotencyKey);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const duplicate = await reserve(slot, anna, idempotencyKey);
    expect(duplicate.response.status).toBe(409);
    expect(duplicate.error?.detail).toContain("still being processed");
    expect((await first).response.status).toBe(201);
  });

  it("asks the provider live: a slot taken there since the search gives 409 and is freed here", async () => {
    const slot = await freeSlot();
    // Someone books the slot directly at the clinic's own system.
    const providerSlotId = JSON.parse(Buffer.from(slot.slotId.split(".")[0]!, "base64url").toString())[1] as string;
    const direct = await fetch(`${simulator.url}/api/v2/bookings`, {
      method: "POST",
      headers: { "x-api-key": "it-key", "content-type": "application/json" },
      body: JSON.stringify({ timeslotId: providerSlotId, externalReference: "walk-in", patient: { name: "Walk-in", phone: "1" } }),
    });
    expect(direct.status).toBe(201);
    const attempt = await reserve(slot);
    expect(attempt.response.status).toBe(409);
    expect(attempt.error?.detail).toContain("no longer available");
    expect(await stillOffered(slot)).toBe(false);
  });

  it("refuses an altered slot id with 400", async () => {
    const slot = await freeSlot();
    const forged = { ...slot, slotId: `${slot.slotId.split(".")[0]}.AAAA` };
    const attempt = await reserve(forged);
    expect(attempt.response.status).toBe(400);
  });

  it("refuses a slot inside the minimum lead time, and one in the past, with 422 and the reason", async () => {
    const later = await freeSlot();
    // Searched when the slot is 30 minutes away (the platform's clock moved on), as a patient would.
    offsetMs = Date.parse(later.start) - Date.now() - 30 * 60_000;
    const slot = await sameSlotFoundNow(later);
    const tooSoon = await reserve(slot);
    expect(tooSoon.response.status).toBe(422);
    expect(tooSoon.error).toMatchObject({ code: "lead-time", detail: expect.stringContaining("at least 60 minutes ahead") });
    offsetMs += 31 * 60_000;
    const past = await reserve(slot);
    expect(past.response.status).toBe(422);
    expect(past.error).toMatchObject({ code: "slot-in-past", detail: expect.stringContaining("already begun") });
  });

  it("refuses a slot id from a search more than a day ago, saying so", async () => {
    const slot = await freeSlot();
    offsetMs = 25 * 3_600_000;
    const stale = await reserve(slot);
    expect(stale.response.status).toBe(422);
    expect(stale.error?.code).toBe("slot-expired");
  });

  it("lets an unconfirmed hold expire by itself, freeing the slot for the next patient", async () => {
    const slot = await freeSlot();
    const held = await reserve(slot);
    offsetMs = 11 * 60_000; // past the 10-minute hold
    const later = await client.GET("/v1/reservations/{reservationId}", { params: { path: { reservationId: held.data!.id } } });
    expect(later.data?.status).toBe("expired");
    const confirm = await client.POST("/v1/reservations/{reservationId}/confirm", {
      params: { path: { reservationId: held.data!.id }, header: { "idempotency-key": key() } },
    });
    expect(confirm.response.status).toBe(422);
    expect(confirm.error?.detail).toContain("expired");
  });

  it("has the reconciler write lapsed holds down as expired, freeing their claims", async () => {
    const slot = await freeSlot();
    const held = await reserve(slot);
    offsetMs = 11 * 60_000;
    const tally = await system.clients.bookingManager.reconcileReservations({ minAgeSeconds: 60 });
    expect(tally.expired).toBeGreaterThanOrEqual(1);
    // Stored, not only shown: booking access itself now has it expired.
    const { reservation } = await system.clients.bookingAccess.getReservation({ id: held.data!.id });
    expect(reservation?.status).toBe(ReservationStatus.EXPIRED);
    expect((await reserve(slot, bertil)).response.status).toBe(201);
  });

  it("cancels a confirmed reservation, freeing the slot, but not inside the cancellation window", async () => {
    const first = await freeSlot();
    const held = await reserve(first);
    await client.POST("/v1/reservations/{reservationId}/confirm", {
      params: { path: { reservationId: held.data!.id }, header: { "idempotency-key": key() } },
    });
    const cancelled = await client.POST("/v1/reservations/{reservationId}/cancel", {
      params: { path: { reservationId: held.data!.id }, header: { "idempotency-key": key() } },
    });
    expect(cancelled.data?.status).toBe("cancelled");
    expect(await stillOffered(first)).toBe(true);

    const second = await freeSlot();
    const another = await reserve(second);
    await client.POST("/v1/reservations/{reservationId}/confirm", {
      params: { path: { reservationId: another.data!.id }, header: { "idempotency-key": key() } },
    });
    offsetMs = Date.parse(second.start) - Date.now() - 3 * 3_600_000;
    const tooLate = await client.POST("/v1/reservations/{reservationId}/cancel", {
      params: { path: { reservationId: another.data!.id }, header: { "idempotency-key": key() } },
    });
    expect(tooLate.response.status).toBe(422);
    expect(tooLate.error?.detail).toContain("24 hours");
  });

  it("keeps a reservation whose provider answer was lost, and the reconciler confirms it from the provider", async () => {
    const slot = await freeSlot();
    // The provider takes the hold, but answers after our 400 ms deadline.
    simulator.faults = { latencyMs: 700, pathPrefix: "/api/v2/holds" };
    const idempotencyKey = key();
    const attempt = await reserve(slot, anna, idempotencyKey);
    expect(attempt.response.status).toBe(202);
    expect(attempt.data?.status).toBe("pending");
    // A retry is answered as the first request was (202), not "still in progress".
    const meanwhile = await reserve(slot, anna, idempotencyKey);
    expect(meanwhile.response.status).toBe(202);
    expect(meanwhile.response.headers.get("idempotent-replayed")).toBe("true");
    expect(meanwhile.data).toMatchObject({ id: attempt.data?.id, status: "pending" });
    await new Promise((resolve) => setTimeout(resolve, 500));
    simulator.faults = {};
    const tally = await system.clients.bookingManager.reconcileReservations({ minAgeSeconds: 0 });
    expect(tally).toMatchObject({ examined: 1, confirmed: 1, released: 0 });
    const settled = await client.GET("/v1/reservations/{reservationId}", { params: { path: { reservationId: attempt.data!.id } } });
    expect(settled.data?.status).toBe("held");
    const retry = await reserve(slot, anna, idempotencyKey);
    expect(retry.response.status).toBe(202);
    expect(retry.data).toMatchObject({ id: attempt.data?.id, status: "held" });
  });

  it("releases a pending reservation the provider never took, so the slot is offered again", async () => {
    const slot = await freeSlot();
    simulator.faults = { hang: true, pathPrefix: "/api/v2/holds" };
    const attempt = await reserve(slot);
    expect(attempt.data?.status).toBe("pending");
    simulator.faults = {};
    // Within the provider's deadline plus the margin it may still be acting on our call: left pending.
    const early = await system.clients.bookingManager.reconcileReservations({ minAgeSeconds: 0, releaseMarginSeconds: 60 });
    expect(early.leftPending).toBeGreaterThanOrEqual(1);
    const waiting = await client.GET("/v1/reservations/{reservationId}", { params: { path: { reservationId: attempt.data!.id } } });
    expect(waiting.data?.status).toBe("pending");
    // Past them, with nothing at the provider: released.
    offsetMs = 61_000;
    const tally = await system.clients.bookingManager.reconcileReservations({ minAgeSeconds: 0, releaseMarginSeconds: 60 });
    expect(tally.released).toBeGreaterThanOrEqual(1);
    const settled = await client.GET("/v1/reservations/{reservationId}", { params: { path: { reservationId: attempt.data!.id } } });
    expect(settled.data?.status).toBe("released");
    expect((await reserve(slot, bertil)).response.status).toBe(201);
  });

  it("reserves on the spring-forward Sunday with the summer offset and the right UTC instant", async () => {
    const slot = await freeSlot("dental-checkup", "2027-03-28");
    const held = await reserve(slot);
    expect(held.response.status).toBe(201);
    expect(held.data!.localStart).toMatch(/^2027-03-28T1\d:\d\d:00\+02:00$/);
    expect(Date.parse(held.data!.localStart)).toBe(Date.parse(held.data!.start));
  });

  it("left no patient's name, personnummer, phone or e-mail in the clear anywhere in the table, after every test above", async () => {
    const items: unknown[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await demo.documents.send(new ScanCommand({ TableName: demo.tableName, ExclusiveStartKey }));
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    const stored = JSON.stringify(items, (_key, value) => (value instanceof Uint8Array ? Buffer.from(value).toString("latin1") : value));
    expect(items.length, "the tests above stored reservations").toBeGreaterThan(50);
    const personal = [anna.name, anna.personalIdentityNumber, "199001011239", "900101-1239", anna.phone, anna.email];
    const more = [bertil.name, bertil.email, "patient7@example.se", "Tolvan", "19121212-1212", "20121212-1212", "121212"];
    expect([...personal, ...more].filter((text) => stored.includes(text))).toEqual([]);
  });

  it("answered only problems that the OpenAPI document declares for each operation", () => {
    expect(demo.system.undeclaredProblems).toEqual([]);
  });
});

function weekdayAhead(days: number): string {
  const day = new Date(Date.now() + days * 86_400_000);
  while (day.getUTCDay() === 0 || day.getUTCDay() === 6) day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}
