import type { InstanceRecord, InstanceSpec } from "../../../contracts/v1/provider_instance_pb.js";
import { ErrorReason, hasReason, platformError } from "../../../utilities/errors/platform-error.js";
import { toConnectionReport } from "../private/connection-report.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import type { ConnectionReport } from "../v1/onboarding_manager_pb.js";

/**
 * Try a provider instance as registering it would, and store nothing: what
 * its server can do, its catalog, and a sample search. The same checks as a
 * registration, so a dry run that passes is a registration that will.
 */
export async function dryRunInstance(deps: UseCaseDeps, spec: InstanceSpec | undefined): Promise<ConnectionReport> {
  if (!spec) throw platformError(ErrorReason.INVALID_ARGUMENT, "spec is required", { field: "spec" });
  return toConnectionReport(await deps.providerAccess.probeInstance({ target: { case: "spec", value: spec } }));
}

/**
 * Register a clinic chain's provider instance:
 *
 *  1. try it (a known adapter, an http(s) URL that answers in the adapter's
 *     protocol, credentials the provider accepts): a failure says which, and
 *     nothing is stored;
 *  2. store it, active, in one write with its state (a second registration of
 *     the id is refused).
 *
 * From then on provider access and the booking side serve it (they see the
 * table's instances change); it has no offerings until its catalog is synced
 * and its codes mapped.
 */
export async function registerInstance(deps: UseCaseDeps, spec: InstanceSpec | undefined): Promise<InstanceRecord> {
  if (!spec) throw platformError(ErrorReason.INVALID_ARGUMENT, "spec is required", { field: "spec" });
  // 1. A second registration fails before the provider is bothered.
  const existing = await deps.providerAccess.getInstance({ instanceId: spec.id }).catch((error: unknown) => {
    if (hasReason(error, ErrorReason.PROVIDER_INSTANCE_NOT_FOUND)) return undefined;
    throw error;
  });
  if (existing) {
    throw platformError(
      ErrorReason.PROVIDER_INSTANCE_EXISTS,
      `a provider instance ${spec.id} is already registered (ids are never reused)`,
      {
        provider_instance_id: spec.id,
      },
    );
  }
  await deps.providerAccess.probeInstance({ target: { case: "spec", value: spec } });
  // 2. Stored, with its state, in one write (provider access refuses an id taken meanwhile).
  const record = await deps.providerAccess.registerInstance({ spec });
  deps.log.info({ providerInstanceId: spec.id, adapter: spec.adapter }, `onboarded provider instance ${spec.id} (${spec.adapter})`);
  return record;
}
