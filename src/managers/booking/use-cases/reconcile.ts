import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { RefusalSchema } from "../../../access/booking/v1/booking_access_pb.js";
import { ProviderBookingStatus } from "../../../access/provider/v1/provider_access_pb.js";
import type { Reservation } from "../../../contracts/v1/booking_pb.js";
import { ErrorReason, hasReason, platformError } from "../../../utilities/errors/platform-error.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import { cancelAtProvider } from "../private/provider-failures.js";
import { type ReconcileReservationsResponse, ReconcileReservationsResponseSchema } from "../v1/booking_manager_pb.js";

/**
 * Settle what was left unsettled, run on a schedule (the reconciler job):
 *
 *  1. every reservation pending for at least `minAgeSeconds` (a provider call
 *     whose answer was lost, a process that died mid-way): ask the provider
 *     what it has under our reservation id, and record that: held, booked, or
 *     nothing (released, the slot free again);
 *  2. every hold that lapsed unconfirmed: record it as expired (reads show it
 *     expired already), then release the provider's hold so the slot is free
 *     there at once rather than when its own clock says so.
 *
 * A reservation whose provider cannot be reached stays as it is until the
 * next run; one that moved on meanwhile (confirmed, cancelled) is left alone.
 */
export async function reconcile(deps: UseCaseDeps, minAgeSeconds: number): Promise<ReconcileReservationsResponse> {
  if (minAgeSeconds < 0)
    throw platformError(ErrorReason.INVALID_ARGUMENT, "min_age_seconds must not be negative", { field: "min_age_seconds" });
  const at = deps.now();
  const tally = create(ReconcileReservationsResponseSchema, {});
  const count = (action: "confirmed" | "released" | "left-pending" | "expired") => deps.metrics.reconcilerActions.add(1, { action });

  // 1. Pending reservations: the provider has the answer.
  const cutOff = new Date(at.getTime() - minAgeSeconds * 1000);
  const { reservations: pending } = await deps.bookingAccess.listPendingReservations({ beganBefore: timestampFromDate(cutOff) });
  tally.examined = pending.length;
  for (const reservation of pending) {
    try {
      const settled = await settleFromProvider(deps, reservation, at);
      if (settled === "released") tally.released++;
      else tally.confirmed++;
      count(settled);
    } catch (error) {
      tally.leftPending++;
      count("left-pending");
      if (!hasReason(error, ErrorReason.RESERVATION_CHANGED)) {
        deps.log.warn({ err: error, reservationId: reservation.id }, `reservation ${reservation.id} left pending until the next run`);
      }
    }
  }

  // 2. Lapsed holds: written down first, so that a confirm racing with us cannot record a booking we then cancel.
  const { reservations: lapsed } = await deps.bookingAccess.listLapsedHolds({ expiredBefore: timestampFromDate(at) });
  for (const reservation of lapsed) {
    try {
      await deps.bookingAccess.recordExpiry({
        id: reservation.id,
        statusReason: "the hold lapsed before it was confirmed",
        now: timestampFromDate(at),
      });
    } catch (error) {
      // Confirmed or cancelled meanwhile: not lapsed after all.
      if (!hasReason(error, ErrorReason.RESERVATION_CHANGED))
        deps.log.warn({ err: error, reservationId: reservation.id }, "could not record a lapsed hold");
      continue;
    }
    tally.expired++;
    deps.metrics.holdExpiries.add(1);
    count("expired");
    await cancelAtProvider(deps, reservation.providerInstanceId, reservation.providerBookingRef, `the hold on ${reservation.id} lapsed`);
  }
  return tally;
}

/** What the provider has under the reservation's id, recorded. */
async function settleFromProvider(deps: UseCaseDeps, reservation: Reservation, at: Date): Promise<"confirmed" | "released"> {
  const { booking } = await deps.providerAccess.findBooking({
    providerInstanceId: reservation.providerInstanceId,
    reference: reservation.id,
  });
  const now = timestampFromDate(at);
  if (booking?.status === ProviderBookingStatus.HELD) {
    await deps.bookingAccess.recordHold({
      id: reservation.id,
      providerBookingRef: booking.providerBookingRef,
      holdExpiresAt: booking.holdExpiresAt,
      statusReason: "verified with the provider",
      now,
    });
    return "confirmed";
  }
  if (booking?.status === ProviderBookingStatus.BOOKED) {
    await deps.bookingAccess.recordBooking({
      id: reservation.id,
      providerBookingRef: booking.providerBookingRef,
      statusReason: "verified with the provider",
      now,
    });
    return "confirmed";
  }
  await deps.bookingAccess.recordRelease({
    id: reservation.id,
    refusal: create(RefusalSchema, {
      reason: ErrorReason.SLOT_UNAVAILABLE,
      message: `the provider did not take reservation ${reservation.id}; search again`,
    }),
    now,
  });
  return "released";
}
