import type { Reservation, Slot } from "@booking-platform/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KlinikbokningSimulator } from "../../src/access/provider/adapters/klinikbokning/simulator/klinikbokning-simulator.js";
import { type DemoSystem, startDemoSystem } from "./support/demo-system.js";

const patient = { name: "Greta Garbo", personalIdentityNumber: "19900101-1239", phone: "0701112222", email: "greta@example.se" };

/**
 * What the clinic does on its own reaches our records and Vården: a booking
 * cancelled or moved at the clinic's system is found by the reconciler, shown
 * on the reservation, and told in the change feed. Every service in one
 * process, DynamoDB Local, the Klinikbokning simulator over HTTP.
 */
describe("the provider's truth", () => {
  let demo: DemoSystem;
  let simulator: KlinikbokningSimulator;
  let offsetMs = 0;
  const now = () => new Date(Date.now() + offsetMs);

  beforeAll(async () => {
    demo = await startDemoSystem({ now });
    simulator = demo.klinikbokning;
  });
  afterAll(() => demo?.close());

  const date = (daysAhead: number) => {
    const day = new Date(Date.now() + daysAhead * 86_400_000);
    while (day.getUTCDay() === 0 || day.getUTCDay() === 6) day.setUTCDate(day.getUTCDate() + 1);
    return day.toISOString().slice(0, 10);
  };
  const slotsOn = async (day: string) =>
    (
      await demo.client.GET("/v1/availability", {
        params: { query: { treatment: "dental-hygiene", clinic: ["odenplan-clinic"], from: day, to: day, pageSize: 100 } },
      })
    ).data!.items;
  async function confirmedBooking(daysAhead: number, pick = 0): Promise<{ reservation: Reservation; slot: Slot }> {
    const slot = (await slotsOn(date(daysAhead)))[pick]!;
    const held = await demo.client.POST("/v1/reservations", {
      params: { header: { "idempotency-key": `truth-${Math.random()}` } },
      body: { slotId: slot.slotId, treatmentId: slot.treatmentId, patient },
    });
    const confirmed = await demo.client.POST("/v1/reservations/{reservationId}/confirm", {
      params: { path: { reservationId: held.data!.id }, header: { "idempotency-key": `truth-${Math.random()}` } },
    });
    expect(confirmed.data?.status).toBe("confirmed");
    return { reservation: confirmed.data!, slot };
  }
  const atTheClinic = (reservationId: string) => [...simulator.bookings.values()].find((b) => b.externalReference === reservationId)!;
  const reconcile = () =>
    demo.system.clients.bookingManager.reconcileReservations({ minAgeSeconds: 30, driftHorizonDays: 14, checksPerProvider: 100 });
  const feed = async (after?: string) => {
    offsetMs += 3000; // past the feed's settle time
    return (await demo.client.GET("/v1/reservations/changes", { params: { query: { ...(after ? { after } : {}) } } })).data!;
  };

  it("records a booking cancelled at the clinic's own system, with the reason, and frees the slot here", async () => {
    const { reservation } = await confirmedBooking(5);
    atTheClinic(reservation.id).status = "CANCELLED";
    expect((await reconcile()).cancelledAtProvider).toBeGreaterThanOrEqual(1);
    const now = await demo.client.GET("/v1/reservations/{reservationId}", { params: { path: { reservationId: reservation.id } } });
    expect(now.data).toMatchObject({ status: "cancelled", statusReason: expect.stringContaining("cancelled at the clinic") });
  });

  it("records a booking the clinic moved to another time, and shows the new time", async () => {
    const { reservation } = await confirmedBooking(6, 0);
    const later = (await slotsOn(date(6))).at(-1)!;
    const providerSlotId = JSON.parse(Buffer.from(later.slotId.split(".")[0]!, "base64url").toString())[1] as string;
    atTheClinic(reservation.id).timeslotId = providerSlotId;
    expect((await reconcile()).movedAtProvider).toBeGreaterThanOrEqual(1);
    const now = await demo.client.GET("/v1/reservations/{reservationId}", { params: { path: { reservationId: reservation.id } } });
    expect(now.data).toMatchObject({
      status: "confirmed",
      start: later.start,
      statusReason: expect.stringContaining("moved by the clinic"),
    });
  });

  it("tells Vården every change in its feed, in order, and what the clinic did, without polling each reservation", async () => {
    const first = await feed();
    const { reservation } = await confirmedBooking(7);
    atTheClinic(reservation.id).status = "CANCELLED";
    await reconcile();
    const next = await feed(first.nextCursor);
    const mine = next.items.filter((c) => c.reservationId === reservation.id).map((c) => c.status);
    expect(mine).toEqual(["pending", "held", "confirmed", "cancelled"]);
    expect(next.items.at(-1)?.statusReason).toContain("cancelled at the clinic");
    expect((await feed(next.nextCursor)).items).toEqual([]);
    // Another client sees none of it.
    const other = (await demo.clientFor("another-marketplace")).client;
    offsetMs += 3000;
    expect((await other.GET("/v1/reservations/changes", {})).data!.items).toEqual([]);
  });

  it("answered only problems that the OpenAPI document declares for each operation", () => {
    expect(demo.system.undeclaredProblems).toEqual([]);
  });
});
