import { create } from "@bufbuild/protobuf";
import { SyncState } from "../../../contracts/v1/provider_catalog_pb.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import { asAdminError, required } from "../private/instance-errors.js";
import { type HealthReport, HealthReportSchema } from "../v1/onboarding_manager_pb.js";

/**
 * How an instance is doing: its calls lately (latency percentiles, error
 * rate by kind, the last error, circuit state, and the last hour minute by
 * minute: provider access keeps them, per process, in memory) and its catalog syncs (the last successful one, and
 * the last whatever its outcome: catalog access keeps them).
 */
export async function reportHealth(deps: UseCaseDeps, instanceId: string): Promise<HealthReport> {
  required(instanceId, "instance_id");
  const [calls, { syncs }] = await Promise.all([
    deps.providerAccess.getInstanceHealth({ instanceId }).catch((error: unknown) => {
      throw asAdminError(error, instanceId);
    }),
    deps.catalogAccess.listCatalogSyncs({ instanceId, limit: 50 }),
  ]);
  return create(HealthReportSchema, {
    instanceId,
    state: calls.state,
    circuitState: calls.circuitState,
    windowSeconds: calls.windowSeconds,
    calls: calls.calls,
    failures: calls.failures,
    p50Ms: calls.p50Ms,
    p90Ms: calls.p90Ms,
    p95Ms: calls.p95Ms,
    p99Ms: calls.p99Ms,
    errors: calls.errors.map((e) => ({ kind: e.kind, count: e.count, rate: e.rate })),
    lastErrorAt: calls.lastError?.at,
    lastErrorKind: calls.lastError?.kind ?? "",
    lastErrorOperation: calls.lastError?.operation ?? "",
    lastErrorMessage: calls.lastError?.message ?? "",
    lastSuccessAt: calls.lastSuccessAt,
    lastSuccessfulSync: syncs.find((s) => s.state === SyncState.SUCCEEDED),
    lastSync: syncs[0],
    lastHour: calls.lastHour.map((minute) => ({
      start: minute.start,
      calls: minute.calls,
      failures: minute.failures,
      p50Ms: minute.p50Ms,
      p95Ms: minute.p95Ms,
      errors: minute.errors.map((e) => ({ kind: e.kind, count: e.count, rate: e.rate })),
    })),
    recordingSince: calls.recordingSince,
  });
}
