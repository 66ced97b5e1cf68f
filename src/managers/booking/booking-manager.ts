import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { ReservationStatus } from "../../contracts/v1/booking_pb.js";
import { reasonName, reasonOf } from "../../utilities/errors/platform-error.js";
import type { BookingManagerDeps, UseCaseDeps } from "./private/dependencies.js";
import { createReservationMetrics } from "./private/reservation-metrics.js";
import { cancel } from "./use-cases/cancel.js";
import { confirm } from "./use-cases/confirm.js";
import { getReservation, listPatientReservations, listReservationChanges } from "./use-cases/look-up.js";
import { reconcile } from "./use-cases/reconcile.js";
import { reserve } from "./use-cases/reserve.js";
import { searchAvailability } from "./use-cases/search-availability.js";
import {
  type BookingManagerService,
  ListClinicsResponseSchema,
  ListTreatmentsResponseSchema,
  type ReservationResult,
} from "./v1/booking_manager_pb.js";

export type { BookingManagerDeps };

/**
 * Vården's use cases, each in its own file under use-cases/ that reads top to
 * bottom: search, reserve, confirm, cancel, look up, reconcile. The manager
 * decides nothing itself: the engines hold the rules, resource access the
 * data and the providers' protocols.
 */
export function createBookingManager(given: BookingManagerDeps): ServiceImpl<typeof BookingManagerService> {
  const deps: UseCaseDeps = {
    ...given,
    now: given.now ?? (() => new Date()),
    newId: given.newId ?? (() => `res_${randomUUID()}`),
    metrics: given.metrics ?? createReservationMetrics(),
  };
  /** Counts how each reservation request ended: its status, "replayed", or the reason it was refused. */
  const counted = async (run: Promise<ReservationResult>) => {
    try {
      const outcome = await run;
      const status = ReservationStatus[outcome.reservation?.status ?? ReservationStatus.UNSPECIFIED]?.toLowerCase();
      deps.metrics.outcomes.add(1, { outcome: outcome.replayed ? "replayed" : (status ?? "unknown") });
      return outcome;
    } catch (error) {
      deps.metrics.outcomes.add(1, { outcome: reasonName(reasonOf(error)).toLowerCase() });
      throw error;
    }
  };
  return {
    listTreatments: async () =>
      create(ListTreatmentsResponseSchema, { treatments: (await deps.catalogAccess.listTreatments({})).treatments }),
    listClinics: async (request) =>
      create(ListClinicsResponseSchema, { clinics: (await deps.catalogAccess.listClinics({ treatmentId: request.treatmentId })).clinics }),
    searchAvailability: (request) => searchAvailability(deps, request),
    createReservation: (request) => counted(reserve(deps, request)),
    getReservation: (request) => getReservation(deps, request.id, request.clientId),
    confirmReservation: (request) => confirm(deps, request.id, request.clientId),
    cancelReservation: (request) => cancel(deps, request.id, request.clientId),
    listPatientReservations: (request) => listPatientReservations(deps, request.patientId, request.clientId),
    reconcileReservations: (request) => reconcile(deps, request),
    listReservationChanges: (request) => listReservationChanges(deps, request),
  };
}
