import type { InstanceRecord, InstanceSpec } from "../../../contracts/v1/provider_instance_pb.js";
import { ErrorReason, platformError } from "../../../utilities/errors/platform-error.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import { asAdminError } from "../private/instance-errors.js";

/**
 * Change an instance's settings (base URL, credentials' reference, time zone,
 * resilience, protocol options): the instance must exist, the new settings
 * are tried exactly as a registration's are, and only then stored. Every
 * provider access process serves the new settings from its next call.
 */
export async function updateInstance(deps: UseCaseDeps, spec: InstanceSpec | undefined): Promise<InstanceRecord> {
  if (!spec) throw platformError(ErrorReason.INVALID_ARGUMENT, "spec is required", { field: "spec" });
  await deps.providerAccess.getInstance({ instanceId: spec.id }).catch((error: unknown) => {
    throw asAdminError(error, spec.id);
  });
  await deps.providerAccess.probeInstance({ target: { case: "spec", value: spec } });
  return deps.providerAccess.updateInstance({ spec });
}
