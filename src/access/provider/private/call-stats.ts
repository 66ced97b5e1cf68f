/**
 * How calls to each provider instance went lately, in this process's memory:
 * the last `maxCalls` calls (default 1000) that are younger than `windowMs`
 * (default 15 minutes), each with its duration and outcome, and the last
 * error. Percentiles are computed when asked, by sorting what the window
 * holds: at most a thousand numbers, far cheaper than any provider call.
 *
 * Every provider access process keeps its own (nothing is shared or stored):
 * behind a load balancer each tells what it saw, which is enough to see a
 * provider go slow or fail. The platform-wide picture is the metrics
 * (provider.call.duration, provider.call.errors) in the collector.
 */
export interface CallOutcome {
  at: number;
  ms: number;
  /** "ok" or the failure's kind. */
  outcome: string;
}

export interface CallSummary {
  windowSeconds: number;
  calls: number;
  failures: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  errors: Array<{ kind: string; count: number; rate: number }>;
  lastError?: { at: Date; kind: string; operation: string; message: string };
  lastSuccessAt?: Date;
}

export interface CallStats {
  record(instanceId: string, call: { ms: number; outcome: string; operation: string; message?: string }): void;
  summary(instanceId: string): CallSummary;
}

export function createCallStats(options: { maxCalls?: number; windowMs?: number; now?: () => number } = {}): CallStats {
  const maxCalls = options.maxCalls ?? 1000;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const now = options.now ?? Date.now;
  const byInstance = new Map<string, { calls: CallOutcome[]; lastError?: CallSummary["lastError"]; lastSuccessAt?: Date }>();

  return {
    record(instanceId, call) {
      const entry = byInstance.get(instanceId) ?? { calls: [] };
      byInstance.set(instanceId, entry);
      const at = now();
      entry.calls.push({ at, ms: call.ms, outcome: call.outcome });
      if (entry.calls.length > maxCalls) entry.calls.splice(0, entry.calls.length - maxCalls);
      if (call.outcome === "ok") entry.lastSuccessAt = new Date(at);
      else entry.lastError = { at: new Date(at), kind: call.outcome, operation: call.operation, message: call.message ?? "" };
    },

    summary(instanceId) {
      const entry = byInstance.get(instanceId);
      const since = now() - windowMs;
      const calls = (entry?.calls ?? []).filter((c) => c.at >= since);
      const durations = calls.map((c) => c.ms).sort((a, b) => a - b);
      const counts = new Map<string, number>();
      for (const call of calls) if (call.outcome !== "ok") counts.set(call.outcome, (counts.get(call.outcome) ?? 0) + 1);
      const failures = [...counts.values()].reduce((sum, n) => sum + n, 0);
      return {
        windowSeconds: Math.round(windowMs / 1000),
        calls: calls.length,
        failures,
        p50Ms: percentile(durations, 0.5),
        p90Ms: percentile(durations, 0.9),
        p99Ms: percentile(durations, 0.99),
        errors: [...counts]
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
          .map(([kind, count]) => ({ kind, count, rate: count / calls.length })),
        lastError: entry?.lastError,
        lastSuccessAt: entry?.lastSuccessAt,
      };
    },
  };
}

/** Nearest-rank percentile of sorted values; 0 for none. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return Math.round(sorted[rank - 1]! * 10) / 10;
}
