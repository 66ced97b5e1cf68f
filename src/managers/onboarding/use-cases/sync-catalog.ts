import { create } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { type CatalogSync, type ProviderCatalog, SyncState } from "../../../contracts/v1/provider_catalog_pb.js";
import { type InstanceRecord, InstanceState } from "../../../contracts/v1/provider_instance_pb.js";
import { ErrorReason, platformError } from "../../../utilities/errors/platform-error.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import { asAdminError } from "../private/instance-errors.js";
import {
  type RunSyncRequest,
  SkippedInstanceSchema,
  type StartSyncRequest,
  type StartSyncResponse,
  StartSyncResponseSchema,
  type SyncProgress,
  SyncProgressSchema,
} from "../v1/onboarding_manager_pb.js";

/** Longer than reading a whole catalog may take (its deadline is 60 s), so a driver reading one keeps its lease. */
const leaseSeconds = 90;
const defaultBatchSize = 50;

interface Options {
  trigger: string;
  batchSize: number;
  pauseMs: number;
}

/**
 * Sync an instance's catalog (or every active instance's), driven by the
 * caller (the sync job: a terminal, AWS Batch, the schedule under npm start),
 * telling progress as it goes:
 *
 *  1. which instances: the one asked for (not retired), or every active one;
 *     paused and retired ones are skipped by "all";
 *  2. for each, one after the other (a failing one does not stop the others):
 *     begin its run (or take over its unfinished one), read the provider's
 *     catalog, record it in batches, and finish: what the provider no longer
 *     lists is marked gone, and the offerings derived again.
 *
 * The caller going away (Ctrl-C, kill -9) interrupts the run between two
 * batches; the next sync of the instance takes it over and finishes it, and
 * each item is counted once however often it was sent (catalog access).
 */
export async function* runSync(deps: UseCaseDeps, request: RunSyncRequest, signal: AbortSignal): AsyncGenerator<SyncProgress> {
  const options = {
    trigger: request.trigger || "job",
    batchSize: request.batchSize > 0 ? Math.min(request.batchSize, 500) : defaultBatchSize,
    pauseMs: Math.max(0, request.pauseBetweenBatchesMs),
  };
  for (const target of await targets(deps, request)) {
    if (signal.aborted) return;
    if (!target.instance) {
      yield create(SyncProgressSchema, { instanceId: target.instanceId, note: target.skipped, final: true });
      continue;
    }
    const begun = await begin(deps, target.instanceId, options.trigger);
    if (begun.busy) {
      yield create(SyncProgressSchema, { instanceId: target.instanceId, sync: begun.sync, note: "another run is syncing it", final: true });
      continue;
    }
    yield* drive(deps, begun.sync!, begun.owner, options, signal);
  }
}

/**
 * The same for the admin API: the runs begin now and are answered at once;
 * the manager drives them in the background, outside the request's deadline.
 * Follow them with GetSync.
 */
export async function startSync(deps: UseCaseDeps, request: StartSyncRequest): Promise<StartSyncResponse> {
  const options = { trigger: request.trigger || "api", batchSize: defaultBatchSize, pauseMs: 0 };
  const response = create(StartSyncResponseSchema, {});
  const begun: Array<{ sync: CatalogSync; owner: string }> = [];
  for (const target of await targets(deps, request)) {
    if (!target.instance) {
      response.skipped.push(create(SkippedInstanceSchema, { instanceId: target.instanceId, reason: target.skipped }));
      continue;
    }
    const run = await begin(deps, target.instanceId, options.trigger);
    response.syncs.push(run.sync!);
    if (!run.busy) begun.push({ sync: run.sync!, owner: run.owner });
  }
  deps.background(async () => {
    for (const { sync, owner } of begun) {
      for await (const _progress of drive(deps, sync, owner, options, new AbortController().signal)) {
        // Progress is in the run itself (GetSync); nobody listens here.
      }
    }
  });
  return response;
}

async function targets(
  deps: UseCaseDeps,
  request: { instanceId: string; all: boolean },
): Promise<Array<{ instanceId: string; instance?: InstanceRecord; skipped: string }>> {
  if (request.all) {
    const { instances } = await deps.providerAccess.listInstances({});
    return instances.map((instance) => {
      const instanceId = instance.spec?.id ?? "";
      if (instance.state === InstanceState.ACTIVE) return { instanceId, instance, skipped: "" };
      return { instanceId, skipped: instance.state === InstanceState.PAUSED ? "paused" : "retired" };
    });
  }
  if (!request.instanceId) throw platformError(ErrorReason.INVALID_ARGUMENT, "name an instance, or all", { field: "instance_id" });
  const instance = await deps.providerAccess.getInstance({ instanceId: request.instanceId }).catch((error: unknown) => {
    throw asAdminError(error, request.instanceId);
  });
  if (instance.state === InstanceState.RETIRED) {
    throw platformError(
      ErrorReason.PROVIDER_INSTANCE_STATE,
      `provider instance ${request.instanceId} is retired: its catalog is not synced`,
      {
        provider_instance_id: request.instanceId,
        current_state: "retired",
      },
    );
  }
  return [{ instanceId: request.instanceId, instance, skipped: "" }];
}

async function begin(deps: UseCaseDeps, instanceId: string, trigger: string) {
  const owner = deps.newOwner();
  const begun = await deps.catalogAccess.beginCatalogSync({ instanceId, owner, leaseSeconds, trigger });
  if (begun.resumed)
    deps.log.info({ providerInstanceId: instanceId, syncId: begun.sync?.id }, `taking over unfinished sync ${begun.sync?.id}`);
  return { ...begun, owner };
}

/**
 * One run, from reading the provider's catalog to finishing it. A failure ends the run as failed; the
 * caller going away (the signal, or the stream closed under a progress message) leaves it interrupted,
 * for the next sync to take over.
 */
async function* drive(
  deps: UseCaseDeps,
  sync: CatalogSync,
  owner: string,
  options: Options,
  signal: AbortSignal,
): AsyncGenerator<SyncProgress> {
  const instanceId = sync.instanceId;
  const progress = (current: CatalogSync, final = false) => create(SyncProgressSchema, { instanceId, sync: current, final });
  const end = (state: SyncState, message: string) =>
    deps.catalogAccess.abandonCatalogSync({ syncId: sync.id, owner, state, error: message }).catch((abandonError: unknown) => {
      // The run keeps its lease until it lapses; then the next sync takes it over.
      deps.log.warn({ err: abandonError, syncId: sync.id }, `could not mark sync ${sync.id} as ended`);
      return undefined;
    });
  let ended = false;
  try {
    yield progress(sync);
    const catalog = await deps.providerAccess.readProviderCatalog({ instanceId });
    const total = catalog.clinics.length + catalog.treatments.length + catalog.practitioners.length;
    if (total === 0) await refuseEmptyCatalog(deps, instanceId);
    for (const batch of batches(catalog, options.batchSize)) {
      if (signal.aborted) break;
      const current = await deps.catalogAccess.recordSyncedItems({ syncId: sync.id, owner, total, ...batch });
      yield progress(current);
      if (options.pauseMs > 0) await deps.sleep(options.pauseMs);
    }
    if (!signal.aborted) {
      const finished = await deps.catalogAccess.finishCatalogSync({ syncId: sync.id, owner });
      ended = true;
      deps.log.info(
        { providerInstanceId: instanceId, syncId: sync.id, total: finished.total },
        `synced the catalog of ${instanceId}: ${finished.total} items`,
      );
      yield progress(finished, true);
    }
  } catch (error) {
    if (!ended && !signal.aborted) {
      ended = true;
      const message = ConnectError.from(error).rawMessage;
      deps.log.warn({ err: error, providerInstanceId: instanceId, syncId: sync.id }, `sync ${sync.id} of ${instanceId} failed: ${message}`);
      yield progress((await end(SyncState.FAILED, message)) ?? sync, true);
    }
  } finally {
    if (!ended) {
      // Nobody is listening any more (Ctrl-C, kill -9, a closed stream): the next sync of the instance takes it over.
      deps.log.warn(
        { providerInstanceId: instanceId, syncId: sync.id },
        `sync ${sync.id} of ${instanceId} interrupted: its caller went away`,
      );
      await end(SyncState.INTERRUPTED, "interrupted: the job driving it went away");
    }
  }
}

/**
 * A provider that suddenly lists nothing is far likelier broken than empty:
 * marking its whole catalog gone would take every clinic out of searches.
 */
async function refuseEmptyCatalog(deps: UseCaseDeps, instanceId: string) {
  const known = await deps.catalogAccess.getProviderCatalog({ instanceId });
  const active = known.clinics.filter((c) => c.active).length + known.treatments.filter((t) => t.active).length;
  if (active > 0) {
    throw platformError(
      ErrorReason.PROVIDER_BAD_RESPONSE,
      `provider ${instanceId} listed an empty catalog where it had ${active} clinics and treatments; nothing is marked gone`,
      { provider_instance_id: instanceId },
    );
  }
}

function* batches(catalog: ProviderCatalog, size: number) {
  const items = [
    ...catalog.clinics.map((value) => ({ kind: "clinics" as const, value })),
    ...catalog.treatments.map((value) => ({ kind: "treatments" as const, value })),
    ...catalog.practitioners.map((value) => ({ kind: "practitioners" as const, value })),
  ];
  for (let i = 0; i < items.length; i += size) {
    const slice = items.slice(i, i + size);
    yield {
      clinics: slice.flatMap((item) => (item.kind === "clinics" ? [item.value] : [])),
      treatments: slice.flatMap((item) => (item.kind === "treatments" ? [item.value] : [])),
      practitioners: slice.flatMap((item) => (item.kind === "practitioners" ? [item.value] : [])),
    };
  }
}
