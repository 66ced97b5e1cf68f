import { create } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { CatalogAccessService } from "../../access/catalog/v1/catalog_access_pb.js";
import { ProviderStatus } from "../../contracts/v1/booking_pb.js";
import type { AvailabilityEngineService } from "../../engines/availability/v1/availability_engine_pb.js";
import { createReservationUseCases, type ReservationDeps } from "./reservations.js";
import {
  type BookingManagerService,
  ListClinicsResponseSchema,
  ListTreatmentsResponseSchema,
  SearchAvailabilityResponseSchema,
} from "./v1/booking_manager_pb.js";

export interface BookingManagerDeps extends ReservationDeps {
  catalogAccess: Client<typeof CatalogAccessService>;
  availabilityEngine: Client<typeof AvailabilityEngineService>;
}

/**
 * The sequence of Vården's use cases. It decides nothing itself: the catalog
 * says who offers what, the availability engine finds the times, and the
 * reservation use cases (reservations.ts) follow the same pattern.
 */
export function createBookingManager(deps: BookingManagerDeps): ServiceImpl<typeof BookingManagerService> {
  const reservations = createReservationUseCases(deps);
  return {
    createReservation: (request) => reservations.createReservation(request),
    getReservation: (request) => reservations.getReservation(request.id),
    confirmReservation: (request) => reservations.confirmReservation(request.id),
    cancelReservation: (request) => reservations.cancelReservation(request.id),
    listPatientReservations: (request) => reservations.listPatientReservations(request.patientId),
    reconcileReservations: (request) => reservations.reconcileReservations(request.minAgeSeconds),

    async listTreatments() {
      const { treatments } = await deps.catalogAccess.listTreatments({});
      return create(ListTreatmentsResponseSchema, { treatments });
    },

    async listClinics(request) {
      const { clinics } = await deps.catalogAccess.listClinics({ treatmentId: request.treatmentId });
      return create(ListClinicsResponseSchema, { clinics });
    },

    async searchAvailability(request) {
      if (!request.treatmentId) throw new ConnectError("treatment_id is required", Code.InvalidArgument);
      const { treatment, offerings } = await deps.catalogAccess.findOfferings({
        treatmentId: request.treatmentId,
        clinicIds: request.clinicIds,
      });
      if (!treatment) throw new ConnectError(`treatment ${request.treatmentId} is not in the catalog`, Code.NotFound);
      const offered = new Set(offerings.map((o) => o.clinicId));
      const notOffering = request.clinicIds.filter((id) => !offered.has(id));
      if (notOffering.length > 0) {
        throw new ConnectError(`no clinic ${notOffering.join(", ")} offers treatment ${request.treatmentId}`, Code.NotFound);
      }
      if (offerings.length === 0) return create(SearchAvailabilityResponseSchema, {});

      const result = await deps.availabilityEngine.findAvailability({
        treatment,
        offerings,
        window: request.window,
        localFromDate: request.localFromDate,
        localToDate: request.localToDate,
        pageSize: request.pageSize,
        pageToken: request.pageToken,
      });
      // With no provider answering, an empty list would read as "fully booked":
      // say instead which providers failed, so Vården can tell the patient to try later.
      const failed = result.providers.filter((p) => p.status !== ProviderStatus.OK);
      if (failed.length > 0 && failed.length === result.providers.length) {
        throw new ConnectError(
          `no provider answered: ${failed.map((p) => `${p.providerInstanceId} (${ProviderStatus[p.status]!.toLowerCase()}: ${p.detail})`).join("; ")}`,
          Code.Unavailable,
        );
      }
      return create(SearchAvailabilityResponseSchema, {
        slots: result.slots,
        providers: result.providers,
        nextPageToken: result.nextPageToken,
      });
    },
  };
}
