import { create } from "@bufbuild/protobuf";
import { ProviderStatus } from "../../../contracts/v1/booking_pb.js";
import { ErrorReason, platformError } from "../../../utilities/errors/platform-error.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import {
  type SearchAvailabilityRequest,
  type SearchAvailabilityResponse,
  SearchAvailabilityResponseSchema,
} from "../v1/booking_manager_pb.js";

/**
 * Free times for a treatment: the catalog says which clinics offer it under
 * which provider codes, the availability engine asks the providers and
 * merges, sorts and pages their answers. With no provider answering at all,
 * an empty list would read as "fully booked": that is an error naming them.
 */
export async function searchAvailability(deps: UseCaseDeps, request: SearchAvailabilityRequest): Promise<SearchAvailabilityResponse> {
  if (!request.treatmentId) throw platformError(ErrorReason.INVALID_ARGUMENT, "treatment_id is required", { field: "treatment_id" });
  const { treatment, offerings } = await deps.catalogAccess.findOfferings({
    treatmentId: request.treatmentId,
    clinicIds: request.clinicIds,
  });
  if (!treatment) throw platformError(ErrorReason.TREATMENT_NOT_FOUND, `treatment ${request.treatmentId} is not in the catalog`);
  const offered = new Set(offerings.map((o) => o.clinicId));
  const notOffering = request.clinicIds.filter((id) => !offered.has(id));
  if (notOffering.length > 0) {
    throw platformError(ErrorReason.CLINIC_NOT_OFFERING, `no clinic ${notOffering.join(", ")} offers treatment ${request.treatmentId}`);
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
  const failed = result.providers.filter((p) => p.status !== ProviderStatus.OK);
  if (failed.length > 0 && failed.length === result.providers.length) {
    throw platformError(
      ErrorReason.NO_PROVIDER_ANSWERED,
      `no provider answered: ${failed.map((p) => `${p.providerInstanceId} (${ProviderStatus[p.status]!.toLowerCase()}: ${p.detail})`).join("; ")}`,
      { provider_instance_ids: failed.map((p) => p.providerInstanceId).join(",") },
    );
  }
  return create(SearchAvailabilityResponseSchema, {
    slots: result.slots,
    providers: result.providers,
    nextPageToken: result.nextPageToken,
  });
}
