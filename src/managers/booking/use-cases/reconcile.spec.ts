import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { ProviderBookingStatus } from "../../../access/provider/v1/provider_access_pb.js";
import { ReservationStatus } from "../../../contracts/v1/booking_pb.js";
import { ErrorReason, platformError, reasonOf } from "../../../utilities/errors/platform-error.js";
import { createHarness, failure } from "../testing/fake-layers.js";

const timedOut = () => {
  throw platformError(ErrorReason.PROVIDER_TIMEOUT, "timed out", { provider_instance_id: "kb" });
};

/** A harness with one reservation, res_1, left pending by a provider that did not answer in time, `ageMs` ago. */
async function withPending(ageMs = 60_000) {
  const harness = createHarness();
  const original = harness.provider.hold;
  harness.provider.hold = timedOut;
  await harness.reserve(harness.slotId(), "key-a");
  harness.provider.hold = original;
  harness.later(ageMs);
  return {
    ...harness,
    reconcile: (settings: { minAgeSeconds?: number; releaseMarginSeconds?: number; checksPerProvider?: number } = {}) =>
      harness.manager.reconcileReservations({ minAgeSeconds: 30, releaseMarginSeconds: 120, ...settings }),
  };
}

/** A harness with one confirmed booking, res_1, three days ahead. */
async function withBooking() {
  const harness = createHarness();
  await harness.reserve(harness.slotId("slot-1", 3));
  await harness.manager.confirmReservation({ id: "res_1", clientId: "vaarden" });
  return harness;
}

describe("the reconciler, for reservations left pending", () => {
  it("records the hold it finds at the provider under our reservation id", async () => {
    const { reconcile, provider, stored } = await withPending();
    provider.find = (reference) => ({
      providerBookingRef: `hold-${reference}`,
      status: ProviderBookingStatus.HELD,
      holdExpiresAt: timestampFromDate(new Date("2026-12-01T09:11:00Z")),
    });
    expect(await reconcile()).toMatchObject({ examined: 1, confirmed: 1, released: 0 });
    expect(stored("res_1")).toMatchObject({
      status: ReservationStatus.HELD,
      providerBookingRef: "hold-res_1",
      statusReason: "verified with the provider",
    });
  });

  it("records a booking it finds at the provider as confirmed", async () => {
    const { reconcile, provider, stored } = await withPending();
    provider.find = (reference) => ({ providerBookingRef: `b-${reference}`, status: ProviderBookingStatus.BOOKED });
    await reconcile();
    expect(stored("res_1").status).toBe(ReservationStatus.CONFIRMED);
  });

  it("waits while the provider may still be acting on our request: nothing there yet is not a no, within its deadline plus the margin", async () => {
    const { reconcile, stored, bookings } = await withPending(60_000);
    expect(await reconcile({ releaseMarginSeconds: 120 })).toMatchObject({ examined: 1, released: 0, leftPending: 1 });
    expect(stored("res_1").status).toBe(ReservationStatus.PENDING);
    expect(bookings.claims.size).toBe(1);
  });

  it("releases one the provider never took once that grace period is over, cancels by reference there, and keeps verifying", async () => {
    const { reconcile, stored, bookings, provider, reserve, slotId } = await withPending(4 * 60_000);
    expect(await reconcile()).toMatchObject({ examined: 1, released: 1 });
    expect(stored("res_1")).toMatchObject({ status: ReservationStatus.RELEASED, statusReason: expect.stringContaining("search again") });
    expect(bookings.claims.size).toBe(0);
    expect(provider.called("releaseByReference")).toHaveLength(1);
    expect(bookings.releaseChecks.has("res_1")).toBe(true);
    const retry = await reserve(slotId(), "key-a");
    expect(retry).toMatchObject({
      replayed: true,
      firstAnswerPending: true,
      reservation: { id: "res_1", status: ReservationStatus.RELEASED },
    });
  });

  it("cancels at the provider a hold that arrives after the release (no orphan with the patient's data stays)", async () => {
    const { reconcile, provider, later, bookings } = await withPending(4 * 60_000);
    await reconcile();
    // The provider was slower than everyone thought: its hold under our reference appears now.
    provider.find = (reference) => ({ providerBookingRef: `late-${reference}`, status: ProviderBookingStatus.HELD });
    later(60_000);
    expect(await reconcile()).toMatchObject({ releasesVerified: 1, orphansCancelled: 1 });
    expect(provider.called("releaseByReference")).toHaveLength(2);
    later(60_000);
    // Checked again later, not at every run.
    expect((await reconcile()).releasesVerified).toBe(0);
    expect(bookings.releaseChecks.has("res_1")).toBe(true);
  });

  it("leaves a reservation pending while its provider cannot be reached, until the next run", async () => {
    const { reconcile, provider, stored, warnings } = await withPending();
    provider.find = () => {
      throw platformError(ErrorReason.PROVIDER_UNAVAILABLE, "down");
    };
    expect(await reconcile()).toMatchObject({ examined: 1, leftPending: 1 });
    expect(stored("res_1").status).toBe(ReservationStatus.PENDING);
    expect(warnings.join()).toContain("left pending");
  });

  it("leaves young pending reservations alone: their provider call may still be under way", async () => {
    const { reconcile, provider } = await withPending();
    expect(await reconcile({ minAgeSeconds: 120 })).toMatchObject({ examined: 0 });
    expect(provider.called("find")).toEqual([]);
  });

  it("refuses negative settings", async () => {
    const { manager } = createHarness();
    expect(reasonOf(await failure(manager.reconcileReservations({ minAgeSeconds: -1 })))).toBe(ErrorReason.INVALID_ARGUMENT);
  });
});

describe("the reconciler, for lapsed holds", () => {
  it("writes a lapsed hold down as expired first, then releases the provider's hold", async () => {
    const { manager, reserve, later, provider, stored } = createHarness();
    await reserve();
    later(11 * 60_000);
    const order: string[] = [];
    provider.cancel = (request) => {
      order.push(`cancel while ${ReservationStatus[stored("res_1").status]}`);
      return { providerBookingRef: request.providerBookingRef, status: ProviderBookingStatus.CANCELLED };
    };
    expect(await manager.reconcileReservations({ minAgeSeconds: 30 })).toMatchObject({ expired: 1 });
    expect(order).toEqual(["cancel while EXPIRED"]);
  });

  it("leaves a hold alone that was confirmed just before it would have been written down", async () => {
    const { manager, reserve, later, provider, bookings } = createHarness();
    await reserve();
    later(11 * 60_000);
    bookings.failNext(
      "recordExpiry",
      platformError(ErrorReason.RESERVATION_CHANGED, "confirmed meanwhile", { current_status: "confirmed" }),
    );
    expect(await manager.reconcileReservations({ minAgeSeconds: 30 })).toMatchObject({ expired: 0 });
    expect(provider.called("cancel")).toEqual([]);
  });
});

describe("the reconciler, for bookings the clinic changed on its own", () => {
  it("records a booking the clinic cancelled, saying so", async () => {
    const { manager, provider, stored } = await withBooking();
    provider.find = () => undefined;
    expect(await manager.reconcileReservations({})).toMatchObject({ bookingsVerified: 1, cancelledAtProvider: 1 });
    expect(stored("res_1")).toMatchObject({
      status: ReservationStatus.CANCELLED,
      statusReason: expect.stringContaining("cancelled at the clinic"),
    });
  });

  it("records a booking the clinic moved, with its new time", async () => {
    const { manager, provider, stored } = await withBooking();
    const newStart = new Date("2026-12-09T13:00:00Z");
    provider.find = (reference) => ({
      providerBookingRef: `hold-${reference}`,
      status: ProviderBookingStatus.BOOKED,
      providerSlotId: "slot-moved",
      start: timestampFromDate(newStart),
      end: timestampFromDate(new Date(newStart.getTime() + 30 * 60_000)),
    });
    expect(await manager.reconcileReservations({})).toMatchObject({ movedAtProvider: 1 });
    expect(stored("res_1")).toMatchObject({
      status: ReservationStatus.CONFIRMED,
      providerSlotId: "slot-moved",
      statusReason: expect.stringContaining("moved by the clinic"),
    });
    expect(stored("res_1").start).toEqual(timestampFromDate(newStart));
  });

  it("notes a booking as verified when the provider has it where we booked it", async () => {
    const { manager, provider, stored, bookings } = await withBooking();
    provider.find = (reference) => ({ providerBookingRef: `hold-${reference}`, status: ProviderBookingStatus.BOOKED });
    expect(await manager.reconcileReservations({})).toMatchObject({ bookingsVerified: 1, cancelledAtProvider: 0, movedAtProvider: 0 });
    expect(stored("res_1").status).toBe(ReservationStatus.CONFIRMED);
    expect(bookings.verified.has("res_1")).toBe(true);
  });

  it("asks each provider at most so many times a run, and skips bookings beyond the horizon", async () => {
    const { manager, reserve, slotId, provider } = createHarness();
    for (const [i, days] of [2, 3, 4, 30].entries()) {
      await reserve(slotId(`slot-${i}`, days));
      await manager.confirmReservation({ id: `res_${i + 1}`, clientId: "vaarden" });
    }
    provider.find = (reference) => ({ providerBookingRef: `hold-${reference}`, status: ProviderBookingStatus.BOOKED });
    expect(await manager.reconcileReservations({ checksPerProvider: 2, driftHorizonDays: 7 })).toMatchObject({ bookingsVerified: 2 });
    expect(await manager.reconcileReservations({ checksPerProvider: 5, driftHorizonDays: 7 })).toMatchObject({ bookingsVerified: 3 });
  });
});
