import { create } from "@bufbuild/protobuf";
import { InstanceState } from "../../../contracts/v1/provider_instance_pb.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import { type HealthReport, type ReportAllHealthResponse, ReportAllHealthResponseSchema } from "../v1/onboarding_manager_pb.js";
import { reportHealth } from "./report-health.js";

/** Instances whose health is gathered at once: each is two small reads, one from each resource access. */
const concurrency = 8;

/**
 * Every instance's health in one answer, by instance id (retired ones only when asked): what an
 * operator's overview shows every few seconds, in one request instead of one per instance.
 */
export async function reportAllHealth(deps: UseCaseDeps, includeRetired: boolean): Promise<ReportAllHealthResponse> {
  const { instances } = await deps.providerAccess.listInstances({});
  const ids = instances
    .filter((record) => includeRetired || record.state !== InstanceState.RETIRED)
    .map((record) => record.spec!.id)
    .sort();
  const reports: HealthReport[] = [];
  for (let i = 0; i < ids.length; i += concurrency) {
    reports.push(...(await Promise.all(ids.slice(i, i + concurrency).map((id) => reportHealth(deps, id)))));
  }
  return create(ReportAllHealthResponseSchema, { reports });
}
