import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ProviderBooking } from "../../../access/provider/v1/provider_access_pb.js";
import { type Reservation, ReservationStatus } from "../../../contracts/v1/booking_pb.js";
import { ErrorReason, hasReason, metadataOf, platformError } from "../../../utilities/errors/platform-error.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import { asCallerError, cancelAtProvider } from "../private/provider-failures.js";
import { effectiveStatus, loadReservation, reservationResult, statusLabel, toBookingPatient } from "../private/reservation-result.js";
import type { ReservationResult } from "../v1/booking_manager_pb.js";

/**
 * Confirm a held reservation before its hold expires:
 *
 *  1. only a held reservation whose hold has not lapsed (confirming a
 *     confirmed one answers it as it is);
 *  2. the provider turns its hold into a booking, with the patient's details;
 *  3. booking access records it as confirmed, and the slot as ours for good.
 *
 * Two compensations: a provider whose hold lapsed (or that forgot it) means
 * the hold expired; and a provider that confirmed while our own record lapsed
 * leaves a booking nobody owns, which is cancelled there at once.
 */
export async function confirm(deps: UseCaseDeps, id: string, clientId: string): Promise<ReservationResult> {
  const at = deps.now();
  const reservation = await loadReservation(deps, id, clientId);

  // 1. Only a live hold can be confirmed.
  const status = effectiveStatus(reservation, at).status;
  if (status === ReservationStatus.CONFIRMED) return reservationResult(reservation, at);
  if (status === ReservationStatus.EXPIRED) {
    if (reservation.status === ReservationStatus.HELD) await recordExpiry(deps, reservation, "the hold lapsed before it was confirmed", at);
    throw holdExpired(id);
  }
  if (status !== ReservationStatus.HELD) {
    throw platformError(ErrorReason.RESERVATION_STATE, `reservation ${id} is ${statusLabel(status)} and cannot be confirmed`, {
      current_status: statusLabel(status),
    });
  }

  // 2. The provider books what it holds.
  let booking: ProviderBooking;
  try {
    booking = await deps.providerAccess.confirmHold({
      providerInstanceId: reservation.providerInstanceId,
      providerBookingRef: reservation.providerBookingRef,
      patient: toBookingPatient(reservation.patient),
      note: reservation.note,
    });
  } catch (error) {
    // Its hold lapsed by its own clock, or it no longer knows it: either way the slot is not ours there.
    if (hasReason(error, ErrorReason.SLOT_UNAVAILABLE, ErrorReason.PROVIDER_NOT_FOUND)) {
      await recordExpiry(deps, reservation, "the provider's hold lapsed before it was confirmed", at);
      throw holdExpired(id);
    }
    throw asCallerError(error, reservation.providerInstanceId);
  }

  // 3. Recorded as confirmed, unless our record moved on while the provider worked.
  try {
    const { reservation: confirmed } = await deps.bookingAccess.recordBooking({
      id,
      providerBookingRef: booking.providerBookingRef || reservation.providerBookingRef,
      now: timestampFromDate(at),
    });
    return reservationResult(confirmed!, at);
  } catch (error) {
    if (hasReason(error, ErrorReason.RESERVATION_CHANGED)) {
      const now = metadataOf(error).current_status;
      // Another confirm of the same reservation won: the provider's booking is that one. Nothing to undo.
      if (now === "confirmed") return reservationResult(await loadReservation(deps, id, clientId), at);
      // Expired (the reconciler wrote the lapse down) or cancelled meanwhile: the provider's booking is nobody's.
      await cancelAtProvider(
        deps,
        reservation.providerInstanceId,
        booking.providerBookingRef,
        `reservation ${id} was ${now} when the provider confirmed`,
      );
      if (now === "cancelled")
        throw platformError(ErrorReason.RESERVATION_STATE, `reservation ${id} was cancelled meanwhile`, { current_status: now });
      throw holdExpired(id);
    }
    if (hasReason(error, ErrorReason.SLOT_CLAIM_LOST)) {
      // Our hold lapsed here while the provider confirmed, and the slot went to another reservation.
      await cancelAtProvider(
        deps,
        reservation.providerInstanceId,
        booking.providerBookingRef,
        `reservation ${id} lost its slot while the provider confirmed`,
      );
      await recordExpiry(deps, reservation, "the hold lapsed while the provider confirmed; the booking there was undone", at);
      throw holdExpired(id);
    }
    throw error;
  }
}

const holdExpired = (id: string) => platformError(ErrorReason.HOLD_EXPIRED, `the hold on reservation ${id} expired; reserve again`);

/** Writes a lapsed hold down as expired; a failure is logged, as the reconciler's sweep writes it down too. */
async function recordExpiry(deps: UseCaseDeps, reservation: Reservation, why: string, at: Date): Promise<void> {
  try {
    await deps.bookingAccess.recordExpiry({ id: reservation.id, statusReason: why, now: timestampFromDate(at) });
    deps.metrics.holdExpiries.add(1);
  } catch (error) {
    deps.log.warn(
      { err: error, reservationId: reservation.id },
      `could not record reservation ${reservation.id} as expired; the reconciler will`,
    );
  }
}
