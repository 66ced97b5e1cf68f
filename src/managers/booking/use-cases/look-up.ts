import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ErrorReason, platformError } from "../../../utilities/errors/platform-error.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import { loadReservation, reservationResult } from "../private/reservation-result.js";
import {
  type ListPatientReservationsResponse,
  ListPatientReservationsResponseSchema,
  type ListReservationChangesResponse,
  ListReservationChangesResponseSchema,
  ReservationChangeViewSchema,
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

/**
 * Every change to the client's reservations after a cursor, oldest first: how
 * Vården learns that a clinic cancelled or moved a booking without polling
 * each reservation. At least once: a client re-reads from the last cursor it
 * kept, and may see a change again.
 */
export async function listReservationChanges(
  deps: UseCaseDeps,
  request: { clientId: string; after: string; limit: number },
): Promise<ListReservationChangesResponse> {
  if (!request.clientId) throw platformError(ErrorReason.INVALID_ARGUMENT, "client_id is required", { field: "client_id" });
  const { changes, nextCursor } = await deps.bookingAccess.listChanges({
    clientId: request.clientId,
    after: request.after,
    limit: request.limit,
    now: timestampFromDate(deps.now()),
  });
  return create(ListReservationChangesResponseSchema, {
    changes: changes.map((c) =>
      create(ReservationChangeViewSchema, {
        cursor: c.cursor,
        reservationId: c.reservationId,
        status: c.status,
        statusReason: c.statusReason,
        occurredAt: c.occurredAt,
        start: c.start,
        end: c.end,
      }),
    ),
    nextCursor,
  });
}
