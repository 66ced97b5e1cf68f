import { ConnectError } from "@connectrpc/connect";
import { ErrorReason, platformError, reasonOf } from "../../../utilities/errors/platform-error.js";
import type { OpenSlot, ProviderAdapter, ProviderCatalog } from "../adapter.js";
import { ProviderError } from "../provider-error.js";
import type { ProviderPolicy } from "./resilience.js";

export interface ProbeResult {
  catalog: ProviderCatalog;
  sample?: { clinicCode: string; treatmentCode: string; window: { start: Date; end: Date }; slots: OpenSlot[] };
  elapsedMs: number;
}

/** How far ahead the sample search looks. */
const sampleDays = 7;

/**
 * Tries an instance the way it will be used, changing nothing: learns what
 * its server can do, reads its catalog (which needs working credentials
 * wherever the protocol has any), and searches the catalog's first treatment
 * at its first clinic over the coming week. A failure is told as what an
 * administrator must fix (problem-for-error.ts turns each into a 4xx):
 *
 * - nothing answered, or only server errors (timeout, unavailable): PROVIDER_UNREACHABLE;
 * - 401 or 403: PROVIDER_CREDENTIALS_REFUSED;
 * - an answer that is not the protocol (not JSON, wrong shape, 404, another 4xx): PROVIDER_PROTOCOL_MISMATCH.
 */
export async function probeInstance(
  instanceId: string,
  adapter: ProviderAdapter,
  policy: ProviderPolicy,
  signal: AbortSignal,
  now = new Date(),
): Promise<ProbeResult> {
  const started = performance.now();
  try {
    if (adapter.discover) await policy.execute("read", (s) => adapter.discover!(s), signal);
    const catalog: ProviderCatalog = adapter.listCatalog
      ? await policy.execute("catalog", (s) => adapter.listCatalog!(s), signal)
      : { clinics: [], treatments: [], practitioners: [] };
    const treatment = catalog.treatments.find((t) => t.clinicCodes.length > 0);
    let sample: ProbeResult["sample"];
    if (treatment) {
      const window = { start: now, end: new Date(now.getTime() + sampleDays * 86_400_000) };
      const query = { clinicCode: treatment.clinicCodes[0]!, treatmentCode: treatment.code, window };
      const slots = await policy.execute("read", (s) => adapter.findOpenSlots(query, s), signal);
      sample = { clinicCode: query.clinicCode, treatmentCode: query.treatmentCode, window, slots: slots.slice(0, 20) };
    }
    return { catalog, sample, elapsedMs: Math.round(performance.now() - started) };
  } catch (error) {
    throw asProbeFailure(instanceId, error);
  }
}

export function asProbeFailure(instanceId: string, error: unknown): ConnectError {
  const metadata = { provider_instance_id: instanceId };
  if (error instanceof ProviderError) {
    switch (error.kind) {
      case "timeout":
      case "unavailable":
      case "circuit-open":
      case "overloaded":
        return platformError(
          ErrorReason.PROVIDER_UNREACHABLE,
          `provider instance ${instanceId} cannot be reached: ${error.message}`,
          metadata,
        );
      case "rejected":
        if (error.status === 401 || error.status === 403) {
          return platformError(
            ErrorReason.PROVIDER_CREDENTIALS_REFUSED,
            `provider instance ${instanceId} refused its credentials (HTTP ${error.status})`,
            metadata,
          );
        }
        break;
      default:
        break;
    }
    return platformError(
      ErrorReason.PROVIDER_PROTOCOL_MISMATCH,
      `provider instance ${instanceId} did not answer in its adapter's protocol: ${error.message}`,
      metadata,
    );
  }
  // Already a reason (credentials that cannot be read …): as it is.
  if (error instanceof ConnectError && reasonOf(error) !== ErrorReason.UNSPECIFIED) return error;
  return platformError(
    ErrorReason.PROVIDER_PROTOCOL_MISMATCH,
    `provider instance ${instanceId} answered something its adapter could not use: ${(error as Error).message}`,
    metadata,
  );
}
