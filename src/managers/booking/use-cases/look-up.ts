import { create } from "@bufbuild/protobuf";
import type { UseCaseDeps } from "../private/dependencies.js";
import { loadReservation, reservationResult } from "../private/reservation-result.js";
import {
  type ListPatientReservationsResponse,
  ListPatientReservationsResponseSchema,
  type ReservationResult,
} from "../v1/booking_manager_pb.js";

/** A reservation as it stands now (a hold past its expiry reads as expired). */
export async function getReservation(deps: UseCaseDeps, id: string): Promise<ReservationResult> {
  return reservationResult(await loadReservation(deps, id), deps.now());
}

/** A patient's reservations, by start. */
export async function listPatientReservations(deps: UseCaseDeps, patientId: string): Promise<ListPatientReservationsResponse> {
  const at = deps.now();
  const { reservations } = await deps.bookingAccess.listPatientReservations({ patientId });
  return create(ListPatientReservationsResponseSchema, { reservations: reservations.map((r) => reservationResult(r, at)) });
}
