import { describe, expect, it } from "vitest";
import { ProviderBookingStatus } from "../../../access/provider/v1/provider_access_pb.js";
import { ReservationStatus } from "../../../contracts/v1/booking_pb.js";
import { ErrorReason, platformError, reasonOf } from "../../../utilities/errors/platform-error.js";
import { createHarness, FakeRules, failure } from "../testing/fake-layers.js";

describe("cancelling a reservation", () => {
  it("cancels a held reservation at the provider and frees the slot for the next patient", async () => {
    const { reserve, manager, provider, slotId } = createHarness();
    await reserve();
    const { reservation } = await manager.cancelReservation({ id: "res_1", clientId: "vaarden" });
    expect(reservation).toMatchObject({ status: ReservationStatus.CANCELLED, statusReason: "cancelled by the patient" });
    expect(provider.called("cancel")).toHaveLength(1);
    expect((await reserve(slotId())).reservation?.status).toBe(ReservationStatus.HELD);
  });

  it("cancels a confirmed appointment outside the treatment's cancellation window", async () => {
    const { reserve, manager } = createHarness();
    await reserve();
    await manager.confirmReservation({ id: "res_1", clientId: "vaarden" });
    expect((await manager.cancelReservation({ id: "res_1", clientId: "vaarden" })).reservation?.status).toBe(ReservationStatus.CANCELLED);
  });

  it("refuses what the cancellation rules forbid, without asking the provider", async () => {
    const { reserve, manager, provider, rules } = createHarness();
    await reserve();
    await manager.confirmReservation({ id: "res_1", clientId: "vaarden" });
    rules.cancellation = FakeRules.broken(ErrorReason.CANCELLATION_WINDOW);
    expect(reasonOf(await failure(manager.cancelReservation({ id: "res_1", clientId: "vaarden" })))).toBe(ErrorReason.CANCELLATION_WINDOW);
    expect(provider.called("cancel")).toEqual([]);
  });

  it("does not ask the cancellation rules about a hold: it is not an appointment yet", async () => {
    const { reserve, manager, rules } = createHarness();
    await reserve();
    rules.cancellation = FakeRules.broken(ErrorReason.CANCELLATION_WINDOW);
    expect((await manager.cancelReservation({ id: "res_1", clientId: "vaarden" })).reservation?.status).toBe(ReservationStatus.CANCELLED);
  });

  it("asks to retry while the reservation is still being verified with the provider", async () => {
    const { reserve, manager, provider } = createHarness();
    provider.hold = () => {
      throw platformError(ErrorReason.PROVIDER_TIMEOUT, "timed out");
    };
    await reserve();
    expect(reasonOf(await failure(manager.cancelReservation({ id: "res_1", clientId: "vaarden" })))).toBe(ErrorReason.RESERVATION_PENDING);
  });

  it("refuses to cancel a hold that has already expired", async () => {
    const { reserve, manager, later } = createHarness();
    await reserve();
    later(11 * 60_000);
    expect(reasonOf(await failure(manager.cancelReservation({ id: "res_1", clientId: "vaarden" })))).toBe(ErrorReason.RESERVATION_STATE);
  });

  it("answers a cancelled reservation as it is", async () => {
    const { reserve, manager, provider } = createHarness();
    await reserve();
    await manager.cancelReservation({ id: "res_1", clientId: "vaarden" });
    expect((await manager.cancelReservation({ id: "res_1", clientId: "vaarden" })).reservation?.status).toBe(ReservationStatus.CANCELLED);
    expect(provider.called("cancel")).toHaveLength(1);
  });

  it("cancels when the provider no longer knows the booking: the slot is free there already", async () => {
    const { reserve, manager, provider } = createHarness();
    await reserve();
    provider.cancel = () => {
      throw platformError(ErrorReason.PROVIDER_NOT_FOUND, "provider kb: HTTP 404 for /api/v2/bookings/hold-res_1", {
        provider_instance_id: "kb",
      });
    };
    const { reservation } = await manager.cancelReservation({ id: "res_1", clientId: "vaarden" });
    expect(reservation?.status).toBe(ReservationStatus.CANCELLED);
    expect(reservation?.statusReason).toContain("no longer had the booking");
  });

  it("keeps the reservation when the provider is down, and says so", async () => {
    const { reserve, manager, provider, stored } = createHarness();
    await reserve();
    provider.cancel = () => {
      throw platformError(ErrorReason.PROVIDER_UNAVAILABLE, "down", { provider_instance_id: "kb" });
    };
    expect(reasonOf(await failure(manager.cancelReservation({ id: "res_1", clientId: "vaarden" })))).toBe(ErrorReason.PROVIDER_UNAVAILABLE);
    expect(stored("res_1").status).toBe(ReservationStatus.HELD);
  });

  it("answers cancelled when a second cancel of the same reservation recorded it first", async () => {
    const { reserve, manager, provider, bookings } = createHarness();
    await reserve();
    provider.cancel = (request) => {
      bookings.meddle("res_1", { status: ReservationStatus.CANCELLED });
      return { providerBookingRef: request.providerBookingRef, status: ProviderBookingStatus.CANCELLED };
    };
    expect((await manager.cancelReservation({ id: "res_1", clientId: "vaarden" })).reservation?.status).toBe(ReservationStatus.CANCELLED);
  });
});
