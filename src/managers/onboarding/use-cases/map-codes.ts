import type { MappedProviderCatalog } from "../../../contracts/v1/provider_catalog_pb.js";
import { InstanceState } from "../../../contracts/v1/provider_instance_pb.js";
import { ErrorReason, platformError } from "../../../utilities/errors/platform-error.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import { asAdminError, required } from "../private/instance-errors.js";
import type { MapCodesRequest } from "../v1/onboarding_manager_pb.js";

/**
 * Map an instance's codes to Vården's ids: its clinics to Vården clinics
 * (existing ones of this instance, or created from the provider's data) and
 * its treatment codes to Vården treatments.
 *
 *  1. the instance must exist and not be retired: no mapping without its instance;
 *  2. catalog access checks every mapping (Vården ids that exist, codes in the
 *     provider's catalog as last synced, no clinic with two providers) before
 *     it writes any, then derives the offerings searches find.
 *
 * Mapping the same codes again changes nothing.
 */
export async function mapCodes(deps: UseCaseDeps, request: MapCodesRequest): Promise<MappedProviderCatalog> {
  const instanceId = required(request.instanceId, "instance_id");
  const instance = await deps.providerAccess.getInstance({ instanceId }).catch((error: unknown) => {
    throw asAdminError(error, instanceId);
  });
  if (instance.state === InstanceState.RETIRED) {
    throw platformError(
      ErrorReason.PROVIDER_INSTANCE_STATE,
      `provider instance ${instanceId} is retired: its codes are not mapped any more`,
      {
        provider_instance_id: instanceId,
        current_state: "retired",
      },
    );
  }
  return deps.catalogAccess.mapProviderCodes({
    instanceId,
    clinics: request.clinics.map((m) => ({
      providerClinicCode: m.providerClinicCode,
      vaardenClinicId: m.vaardenClinicId,
      create: m.create,
    })),
    treatments: request.treatments.map((m) => ({
      providerTreatmentCode: m.providerTreatmentCode,
      vaardenTreatmentId: m.vaardenTreatmentId,
    })),
  });
}
