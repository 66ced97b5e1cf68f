import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { BookingPatientSchema } from "../../../access/provider/v1/provider_access_pb.js";
import { type Patient, type Reservation, ReservationSchema, ReservationStatus } from "../../../contracts/v1/booking_pb.js";
import { ErrorReason, platformError } from "../../../utilities/errors/platform-error.js";
import { toLocalIso } from "../../../utilities/time/local-time.js";
import { type ReservationResult, ReservationResultSchema } from "../v1/booking_manager_pb.js";
import type { UseCaseDeps } from "./dependencies.js";

/** A reservation as Vården sees it: its effective status, and its times in the clinic's zone. */
export function reservationResult(reservation: Reservation, at: Date, replay?: { firstAnswerPending: boolean }): ReservationResult {
  const effective = effectiveStatus(reservation, at);
  return create(ReservationResultSchema, {
    reservation: effective,
    localStart: effective.start && effective.timeZone ? toLocalIso(timestampDate(effective.start), effective.timeZone) : "",
    localEnd: effective.end && effective.timeZone ? toLocalIso(timestampDate(effective.end), effective.timeZone) : "",
    replayed: replay !== undefined,
    firstAnswerPending: replay?.firstAnswerPending ?? false,
  });
}

/** A hold past its expiry is expired, whether or not anything has written that down yet. */
export function effectiveStatus(reservation: Reservation, at: Date): Reservation {
  if (reservation.status === ReservationStatus.HELD && reservation.holdExpiresAt && timestampDate(reservation.holdExpiresAt) <= at) {
    return create(ReservationSchema, {
      ...reservation,
      status: ReservationStatus.EXPIRED,
      statusReason: "the hold lapsed before it was confirmed",
    });
  }
  return reservation;
}

/**
 * The reservation as stored, when it belongs to the client asking;
 * RESERVATION_NOT_FOUND when there is none, or it is another client's.
 */
export async function loadReservation(deps: Pick<UseCaseDeps, "bookingAccess">, id: string, clientId: string): Promise<Reservation> {
  if (!clientId)
    throw platformError(ErrorReason.INVALID_ARGUMENT, "client_id is required: reservations belong to a client", { field: "client_id" });
  const { reservation } = await deps.bookingAccess.getReservation({ id, clientId });
  if (!reservation) throw platformError(ErrorReason.RESERVATION_NOT_FOUND, `reservation ${id} not found`);
  return reservation;
}

export const statusLabel = (status: ReservationStatus) => ReservationStatus[status]?.toLowerCase() ?? "unknown";

/** Who the booking is for, in the provider contract's words. Personal data: never logged. */
export function toBookingPatient(patient: Patient | undefined) {
  return create(BookingPatientSchema, {
    name: patient?.name,
    personalIdentityNumber: patient?.personalIdentityNumber,
    dateOfBirth: patient?.dateOfBirth,
    phone: patient?.phone,
    email: patient?.email,
  });
}
