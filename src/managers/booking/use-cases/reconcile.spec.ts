import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { ProviderBookingStatus } from "../../../access/provider/v1/provider_access_pb.js";
import { ReservationStatus } from "../../../contracts/v1/booking_pb.js";
import { ErrorReason, platformError, reasonOf } from "../../../utilities/errors/platform-error.js";
import { createHarness, failure } from "../testing/fake-layers.js";

/** A harness with one reservation, res_1, left pending by a provider that did not answer in time. */
async function withPending() {
  const harness = createHarness();
  const original = harness.provider.hold;
  harness.provider.hold = () => {
    throw platformError(ErrorReason.PROVIDER_TIMEOUT, "timed out", { provider_instance_id: "kb" });
  };
  await harness.reserve(harness.slotId(), "key-a");
  harness.provider.hold = original;
  harness.later(60_000);
  return { ...harness, reconcile: (minAgeSeconds = 30) => harness.manager.reconcileReservations({ minAgeSeconds }) };
}

describe("the reconciler", () => {
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

  it("releases a reservation the provider never took: the slot is free, and a retry of the request learns it was released", async () => {
    const { reconcile, stored, bookings, reserve, slotId } = await withPending();
    expect(await reconcile()).toMatchObject({ examined: 1, released: 1 });
    expect(stored("res_1")).toMatchObject({ status: ReservationStatus.RELEASED, statusReason: expect.stringContaining("search again") });
    expect(bookings.claims.size).toBe(0);
    const retry = await reserve(slotId(), "key-a");
    expect(retry).toMatchObject({
      replayed: true,
      firstAnswerPending: true,
      reservation: { id: "res_1", status: ReservationStatus.RELEASED },
    });
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
    expect(await reconcile(120)).toMatchObject({ examined: 0 });
    expect(provider.called("find")).toEqual([]);
  });

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

  it("refuses a negative minimum age", async () => {
    const { manager } = createHarness();
    expect(reasonOf(await failure(manager.reconcileReservations({ minAgeSeconds: -1 })))).toBe(ErrorReason.INVALID_ARGUMENT);
  });
});
