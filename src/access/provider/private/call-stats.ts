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
  p95Ms: number;
  p99Ms: number;
  errors: Array<{ kind: string; count: number; rate: number }>;
  lastError?: { at: Date; kind: string; operation: string; message: string };
  lastSuccessAt?: Date;
}

/** One minute of calls to an instance. */
export interface CallMinute {
  /** The minute's first instant. */
  start: Date;
  calls: number;
  failures: number;
  p50Ms: number;
  p95Ms: number;
  errors: Array<{ kind: string; count: number }>;
}

export interface CallStats {
  record(instanceId: string, call: { ms: number; outcome: string; operation: string; message?: string }): void;
  summary(instanceId: string): CallSummary;
  /** The minutes of the last hour that saw calls, oldest first (the current minute included, so far). */
  lastHour(instanceId: string): CallMinute[];
  /** When this record began: the figures cover nothing before it (a process's start). */
  readonly since: Date;
}

interface MinuteBucket {
  minute: number;
  calls: number;
  errors: Map<string, number>;
  /** A uniform sample of the minute's durations (reservoir sampling), all of them while they fit. */
  samples: number[];
}

const minuteMs = 60_000;
const hourMinutes = 60;

export function createCallStats(
  options: { maxCalls?: number; windowMs?: number; samplesPerMinute?: number; now?: () => number; random?: () => number } = {},
): CallStats {
  const maxCalls = options.maxCalls ?? 1000;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const samplesPerMinute = options.samplesPerMinute ?? 500;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const since = new Date(now());
  const byInstance = new Map<
    string,
    { calls: CallOutcome[]; minutes: MinuteBucket[]; lastError?: CallSummary["lastError"]; lastSuccessAt?: Date }
  >();
  const forgetOldMinutes = (minutes: MinuteBucket[], current: number) => {
    const oldest = current - hourMinutes + 1;
    const keep = minutes.findIndex((m) => m.minute >= oldest);
    minutes.splice(0, keep === -1 ? minutes.length : keep);
  };

  return {
    since,

    record(instanceId, call) {
      const entry = byInstance.get(instanceId) ?? { calls: [], minutes: [] };
      byInstance.set(instanceId, entry);
      const at = now();
      entry.calls.push({ at, ms: call.ms, outcome: call.outcome });
      if (entry.calls.length > maxCalls) entry.calls.splice(0, entry.calls.length - maxCalls);
      const minute = Math.floor(at / minuteMs);
      let bucket = entry.minutes.at(-1);
      if (bucket?.minute !== minute) {
        bucket = { minute, calls: 0, errors: new Map(), samples: [] };
        entry.minutes.push(bucket);
        forgetOldMinutes(entry.minutes, minute);
      }
      bucket.calls += 1;
      if (call.outcome !== "ok") bucket.errors.set(call.outcome, (bucket.errors.get(call.outcome) ?? 0) + 1);
      if (bucket.samples.length < samplesPerMinute) bucket.samples.push(call.ms);
      else {
        const slot = Math.floor(random() * bucket.calls);
        if (slot < samplesPerMinute) bucket.samples[slot] = call.ms;
      }
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
        p95Ms: percentile(durations, 0.95),
        p99Ms: percentile(durations, 0.99),
        errors: [...counts]
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
          .map(([kind, count]) => ({ kind, count, rate: count / calls.length })),
        lastError: entry?.lastError,
        lastSuccessAt: entry?.lastSuccessAt,
      };
    },

    lastHour(instanceId) {
      const minutes = byInstance.get(instanceId)?.minutes ?? [];
      forgetOldMinutes(minutes, Math.floor(now() / minuteMs));
      return minutes.map((bucket) => {
        const sorted = [...bucket.samples].sort((a, b) => a - b);
        const errors = [...bucket.errors].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
        return {
          start: new Date(bucket.minute * minuteMs),
          calls: bucket.calls,
          failures: errors.reduce((sum, [, n]) => sum + n, 0),
          p50Ms: percentile(sorted, 0.5),
          p95Ms: percentile(sorted, 0.95),
          errors: errors.map(([kind, count]) => ({ kind, count })),
        };
      });
    },
  };
}

/** Nearest-rank percentile of sorted values; 0 for none. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return Math.round(sorted[rank - 1]! * 10) / 10;
}
