import { randomUUID } from "node:crypto";
import type { ServiceImpl } from "@connectrpc/connect";
import { detached } from "../../utilities/rpc/deadline.js";
import type { OnboardingManagerDeps, UseCaseDeps } from "./private/dependencies.js";
import { getInstance, getProviderCatalog, getSync, listAdapters, listInstances, listSyncs } from "./use-cases/look-up.js";
import { mapCodes } from "./use-cases/map-codes.js";
import { pauseInstance } from "./use-cases/pause-instance.js";
import { dryRunInstance, registerInstance } from "./use-cases/register-instance.js";
import { reportAllHealth } from "./use-cases/report-all-health.js";
import { reportHealth } from "./use-cases/report-health.js";
import { resumeInstance } from "./use-cases/resume-instance.js";
import { retireInstance } from "./use-cases/retire-instance.js";
import { runSync, startSync } from "./use-cases/sync-catalog.js";
import { testConnection } from "./use-cases/test-connection.js";
import { updateInstance } from "./use-cases/update-instance.js";
import type { OnboardingManagerService } from "./v1/onboarding_manager_pb.js";

export type { OnboardingManagerDeps };

/**
 * Onboarding's use cases, each in its own file under use-cases/ that reads top
 * to bottom: register (and its dry run), update, pause, resume and retire an
 * instance, test its connection, sync its catalog, map its codes, report its
 * health. The manager decides nothing itself: provider access keeps the
 * instances and speaks to providers, catalog access keeps the catalogs, the
 * mappings and the syncs. It never calls the booking manager: the booking
 * side sees every change through the data those two keep.
 */
export function createOnboardingManager(given: OnboardingManagerDeps): ServiceImpl<typeof OnboardingManagerService> {
  const deps: UseCaseDeps = {
    ...given,
    newOwner: given.newOwner ?? (() => `driver_${randomUUID()}`),
    sleep: given.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    background:
      given.background ??
      ((work) =>
        detached(() => {
          void work().catch((error: unknown) => given.log.error({ err: error }, "background work failed"));
        })),
  };
  return {
    listAdapters: () => listAdapters(deps),
    dryRunInstance: (request) => dryRunInstance(deps, request.spec),
    registerInstance: (request) => registerInstance(deps, request.spec),
    updateInstance: (request) => updateInstance(deps, request.spec),
    pauseInstance: (request) => pauseInstance(deps, request.instanceId, request.reason),
    resumeInstance: (request) => resumeInstance(deps, request.instanceId, request.reason),
    retireInstance: (request) => retireInstance(deps, request.instanceId, request.reason),
    getInstance: (request) => getInstance(deps, request.instanceId),
    listInstances: () => listInstances(deps),
    testConnection: (request) => testConnection(deps, request.instanceId),
    getProviderCatalog: (request) => getProviderCatalog(deps, request.instanceId),
    mapCodes: (request) => mapCodes(deps, request),
    startSync: (request) => startSync(deps, request),
    runSync: (request, context) => runSync(deps, request, context.signal),
    getSync: (request) => getSync(deps, request.syncId),
    listSyncs: (request) => listSyncs(deps, request.instanceId, request.limit),
    reportHealth: (request) => reportHealth(deps, request.instanceId),
    reportAllHealth: (request) => reportAllHealth(deps, request.includeRetired),
  };
}
