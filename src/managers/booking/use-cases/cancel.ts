import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ReservationStatus } from "../../../contracts/v1/booking_pb.js";
import { ErrorReason, hasReason, metadataOf, platformError } from "../../../utilities/errors/platform-error.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import { asCallerError } from "../private/provider-failures.js";
import { effectiveStatus, loadReservation, reservationResult, statusLabel } from "../private/reservation-result.js";
import { ruleViolation } from "../private/rule-violation.js";
import type { ReservationResult } from "../v1/booking_manager_pb.js";

/**
 * Cancel a held or confirmed reservation:
 *
 *  1. only a held or confirmed one (cancelling a cancelled one answers it as
 *     it is; a pending one is still being verified with the provider);
 *  2. a confirmed one only outside its treatment's cancellation window;
 *  3. the provider cancels it (a provider that no longer knows it has freed
 *     the slot already, which is all a cancel wants);
 *  4. booking access records it as cancelled and frees the slot.
 */
export async function cancel(deps: UseCaseDeps, id: string, clientId: string): Promise<ReservationResult> {
  const at = deps.now();
  const reservation = await loadReservation(deps, id, clientId);

  // 1. Only what is held or booked can be cancelled.
  const status = effectiveStatus(reservation, at).status;
  if (status === ReservationStatus.CANCELLED) return reservationResult(reservation, at);
  if (status === ReservationStatus.PENDING) {
    throw platformError(ErrorReason.RESERVATION_PENDING, `reservation ${id} is still being verified with the provider; retry shortly`);
  }
  if (status !== ReservationStatus.HELD && status !== ReservationStatus.CONFIRMED) {
    throw platformError(ErrorReason.RESERVATION_STATE, `reservation ${id} is ${statusLabel(status)} and cannot be cancelled`, {
      current_status: statusLabel(status),
    });
  }

  // 2. The treatment's cancellation window.
  if (status === ReservationStatus.CONFIRMED) {
    const { treatment } = await deps.catalogAccess.findOfferings({
      treatmentId: reservation.treatmentId,
      clinicIds: [reservation.clinicId],
    });
    if (!treatment)
      throw platformError(ErrorReason.TREATMENT_NOT_FOUND, `treatment ${reservation.treatmentId} is no longer in the catalog`);
    const verdict = await deps.reservationEngine.evaluateCancellation({
      treatment,
      slotStart: reservation.start,
      now: timestampFromDate(at),
    });
    if (!verdict.allowed) throw ruleViolation(verdict.violations);
  }

  // 3. The provider frees the slot.
  let statusReason = "cancelled by the patient";
  try {
    await deps.providerAccess.cancelBooking({
      providerInstanceId: reservation.providerInstanceId,
      providerBookingRef: reservation.providerBookingRef,
    });
  } catch (error) {
    if (!hasReason(error, ErrorReason.PROVIDER_NOT_FOUND)) throw asCallerError(error, reservation.providerInstanceId);
    statusReason = "cancelled by the patient; the provider no longer had the booking";
  }

  // 4. Recorded, the slot free here too.
  try {
    const { reservation: cancelled } = await deps.bookingAccess.recordCancellation({ id, statusReason, now: timestampFromDate(at) });
    return reservationResult(cancelled!, at);
  } catch (error) {
    // A second cancel of the same reservation won the race: same outcome.
    if (hasReason(error, ErrorReason.RESERVATION_CHANGED) && metadataOf(error).current_status === "cancelled") {
      return reservationResult(await loadReservation(deps, id, clientId), at);
    }
    throw error;
  }
}
