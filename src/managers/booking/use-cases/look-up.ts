import { create } from "@bufbuild/protobuf";
import { ErrorReason, platformError } from "../../../utilities/errors/platform-error.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import { loadReservation, reservationResult } from "../private/reservation-result.js";
import {
  type ListPatientReservationsResponse,
  ListPatientReservationsResponseSchema,
  type ReservationResult,
} from "../v1/booking_manager_pb.js";

/** A reservation as it stands now (a hold past its expiry reads as expired). */
export async function getReservation(deps: UseCaseDeps, id: string, clientId: string): Promise<ReservationResult> {
  return reservationResult(await loadReservation(deps, id, clientId), deps.now());
}

/** A patient's reservations made by this client, by start. */
export async function listPatientReservations(
  deps: UseCaseDeps,
  patientId: string,
  clientId: string,
): Promise<ListPatientReservationsResponse> {
  if (!clientId)
    throw platformError(ErrorReason.INVALID_ARGUMENT, "client_id is required: reservations belong to a client", { field: "client_id" });
  const at = deps.now();
  const { reservations } = await deps.bookingAccess.listPatientReservations({ patientId, clientId });
  return create(ListPatientReservationsResponseSchema, { reservations: reservations.map((r) => reservationResult(r, at)) });
}
