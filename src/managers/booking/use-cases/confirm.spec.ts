import { ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ReservationStatus } from "../../../contracts/v1/booking_pb.js";
import { ErrorReason, metadataOf, platformError, reasonOf } from "../../../utilities/errors/platform-error.js";
import { createHarness, failure } from "../testing/fake-layers.js";

/** A harness with one held reservation, res_1. */
async function withHold() {
  const harness = createHarness();
  await harness.reserve();
  return { ...harness, confirm: () => harness.manager.confirmReservation({ id: "res_1", clientId: "vaarden" }) };
}

describe("confirming a held reservation", () => {
  it("books the held slot at the provider with the patient's details, and records it confirmed", async () => {
    const { confirm, provider, stored } = await withHold();
    expect((await confirm()).reservation?.status).toBe(ReservationStatus.CONFIRMED);
    expect(provider.called("confirm")[0]?.request).toMatchObject({ providerBookingRef: "hold-res_1", patient: { name: "Anna Andersson" } });
    expect(stored("res_1").holdExpiresAt).toBeUndefined();
  });

  it("answers a confirmed reservation as it is, without asking the provider again", async () => {
    const { confirm, provider } = await withHold();
    await confirm();
    expect((await confirm()).reservation?.status).toBe(ReservationStatus.CONFIRMED);
    expect(provider.called("confirm")).toHaveLength(1);
  });

  it("says the hold expired once it has lapsed here, writes that down, and does not ask the provider", async () => {
    const { confirm, provider, later, stored } = await withHold();
    later(11 * 60_000);
    expect(reasonOf(await failure(confirm()))).toBe(ErrorReason.HOLD_EXPIRED);
    expect(stored("res_1").status).toBe(ReservationStatus.EXPIRED);
    expect(provider.called("confirm")).toEqual([]);
  });

  it.each([
    ["the provider's hold lapsed by its own clock", ErrorReason.SLOT_UNAVAILABLE],
    ["the provider no longer knows the hold", ErrorReason.PROVIDER_NOT_FOUND],
  ])("says the hold expired when %s, and writes that down", async (_case, reason) => {
    const { confirm, provider, stored } = await withHold();
    provider.confirm = () => {
      throw platformError(reason, "provider kb: HTTP 410 for /api/v2/bookings/hold-res_1/confirm", { provider_instance_id: "kb" });
    };
    expect(reasonOf(await failure(confirm()))).toBe(ErrorReason.HOLD_EXPIRED);
    expect(stored("res_1").status).toBe(ReservationStatus.EXPIRED);
  });

  it("undoes the provider's booking when our own record lapsed while it confirmed (written down as expired meanwhile)", async () => {
    const { confirm, provider, bookings } = await withHold();
    const original = provider.confirm;
    provider.confirm = async (request) => {
      bookings.meddle("res_1", { status: ReservationStatus.EXPIRED });
      return original(request);
    };
    expect(reasonOf(await failure(confirm()))).toBe(ErrorReason.HOLD_EXPIRED);
    expect(provider.called("cancel").map((c) => c.request)).toEqual([expect.objectContaining({ providerBookingRef: "hold-res_1" })]);
  });

  it("undoes the provider's booking when our hold lapsed meanwhile and the slot went to another reservation", async () => {
    const { confirm, provider, bookings, stored } = await withHold();
    const original = provider.confirm;
    provider.confirm = async (request) => {
      for (const [slot] of bookings.claims) bookings.claims.set(slot, { reservationId: "someone-else" });
      return original(request);
    };
    expect(reasonOf(await failure(confirm()))).toBe(ErrorReason.HOLD_EXPIRED);
    expect(provider.called("cancel")).toHaveLength(1);
    expect(stored("res_1").status).toBe(ReservationStatus.EXPIRED);
  });

  it("keeps the provider's booking when a second confirm of the same reservation recorded it first", async () => {
    const { confirm, provider, bookings } = await withHold();
    const original = provider.confirm;
    provider.confirm = async (request) => {
      bookings.meddle("res_1", { status: ReservationStatus.CONFIRMED });
      return original(request);
    };
    expect((await confirm()).reservation?.status).toBe(ReservationStatus.CONFIRMED);
    expect(provider.called("cancel")).toEqual([]);
  });

  it("undoes the provider's booking when the patient cancelled meanwhile, and says it is cancelled", async () => {
    const { confirm, provider, bookings } = await withHold();
    const original = provider.confirm;
    provider.confirm = async (request) => {
      bookings.meddle("res_1", { status: ReservationStatus.CANCELLED });
      return original(request);
    };
    const error = await failure(confirm());
    expect(reasonOf(error)).toBe(ErrorReason.RESERVATION_STATE);
    expect(metadataOf(error)).toMatchObject({ current_status: "cancelled" });
    expect(provider.called("cancel")).toHaveLength(1);
  });

  it("refuses to confirm a cancelled reservation", async () => {
    const { confirm, manager } = await withHold();
    await manager.cancelReservation({ id: "res_1", clientId: "vaarden" });
    expect(reasonOf(await failure(confirm()))).toBe(ErrorReason.RESERVATION_STATE);
  });

  it("says which provider is down, in our words, and keeps the hold", async () => {
    const { confirm, provider, stored } = await withHold();
    provider.confirm = () => {
      throw platformError(ErrorReason.PROVIDER_UNAVAILABLE, "provider kb is unavailable: HTTP 503 from http://10.0.0.7/api", {
        provider_instance_id: "kb",
      });
    };
    const error = await failure(confirm());
    expect(reasonOf(error)).toBe(ErrorReason.PROVIDER_UNAVAILABLE);
    expect(ConnectError.from(error).rawMessage).toBe("provider kb is unavailable; try again later");
    expect(stored("res_1").status).toBe(ReservationStatus.HELD);
  });

  it("says a reservation it does not know is not found", async () => {
    const { manager } = createHarness();
    expect(reasonOf(await failure(manager.confirmReservation({ id: "res_nobody", clientId: "vaarden" })))).toBe(
      ErrorReason.RESERVATION_NOT_FOUND,
    );
  });
});
