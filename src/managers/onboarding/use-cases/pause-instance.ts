import type { InstanceRecord } from "../../../contracts/v1/provider_instance_pb.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import { asAdminError, required } from "../private/instance-errors.js";

/**
 * Pause an instance (a chain's outage, a contract on hold): from the next
 * call on, its slots are not searched and new reservations are refused
 * (provider-paused); reservations already made stay readable, confirmable and
 * cancellable. Pausing a paused instance changes nothing.
 */
export async function pauseInstance(deps: UseCaseDeps, instanceId: string, reason: string): Promise<InstanceRecord> {
  required(instanceId, "instance_id");
  const record = await deps.providerAccess.pauseInstance({ instanceId, reason }).catch((error: unknown) => {
    throw asAdminError(error, instanceId);
  });
  deps.log.info({ providerInstanceId: instanceId, reason }, `paused provider instance ${instanceId}`);
  return record;
}
