import type { InstanceRecord } from "../../../contracts/v1/provider_instance_pb.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import { asAdminError, required } from "../private/instance-errors.js";

/**
 * Retire an instance for good (the chain left, or moved to another system):
 *
 *  1. provider access stops serving it (no searches, no new reservations);
 *  2. catalog access takes its offerings and clinics out of searches.
 *
 * Nothing is deleted: reservations refer to its clinics, and its id is never
 * reused. Retiring again repeats step 2, so a fault between the two is mended
 * by calling it again.
 */
export async function retireInstance(deps: UseCaseDeps, instanceId: string, reason: string): Promise<InstanceRecord> {
  required(instanceId, "instance_id");
  const record = await deps.providerAccess.retireInstance({ instanceId, reason }).catch((error: unknown) => {
    throw asAdminError(error, instanceId);
  });
  const withdrawn = await deps.catalogAccess.withdrawInstance({ instanceId });
  deps.log.info(
    { providerInstanceId: instanceId, reason, ...withdrawn },
    `retired provider instance ${instanceId}: ${withdrawn.offerings} offerings and ${withdrawn.clinics} clinics left the catalog`,
  );
  return record;
}
