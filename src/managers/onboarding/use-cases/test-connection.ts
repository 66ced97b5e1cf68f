import { toConnectionReport } from "../private/connection-report.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import { asAdminError, required } from "../private/instance-errors.js";
import type { ConnectionReport } from "../v1/onboarding_manager_pb.js";

/**
 * Test a registered instance's connection, as it is stored (active or
 * paused): reachable, credentials accepted, its catalog readable, a sample
 * search. A failure says which (provider-unreachable,
 * provider-credentials-refused, provider-protocol-mismatch, …).
 */
export async function testConnection(deps: UseCaseDeps, instanceId: string): Promise<ConnectionReport> {
  required(instanceId, "instance_id");
  const probe = await deps.providerAccess.probeInstance({ target: { case: "instanceId", value: instanceId } }).catch((error: unknown) => {
    throw asAdminError(error, instanceId);
  });
  return toConnectionReport(probe);
}
