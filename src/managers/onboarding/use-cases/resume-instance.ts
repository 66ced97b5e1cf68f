import type { InstanceRecord } from "../../../contracts/v1/provider_instance_pb.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import { asAdminError, required } from "../private/instance-errors.js";

/**
 * Resume a paused instance: searched and booked again from the next call. A
 * retired instance is never resumed (instance-state).
 */
export async function resumeInstance(deps: UseCaseDeps, instanceId: string, reason: string): Promise<InstanceRecord> {
  required(instanceId, "instance_id");
  const record = await deps.providerAccess.resumeInstance({ instanceId, reason }).catch((error: unknown) => {
    throw asAdminError(error, instanceId);
  });
  deps.log.info({ providerInstanceId: instanceId, reason }, `resumed provider instance ${instanceId}`);
  return record;
}
