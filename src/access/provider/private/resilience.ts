import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from "cockatiel";
import { ProviderError } from "../provider-error.js";

/** Per provider instance; config/providers.json may override any of these under "resilience". */
export interface ResilienceSettings {
  /** The whole call, retries included, must finish within this. */
  deadlineMs: number;
  /** Extra attempts for safe reads after a transient failure (5xx, connection refused). */
  readRetries: number;
  /** Consecutive faults that open the circuit. */
  breakerThreshold: number;
  /** How long the circuit stays open before one trial call is let through. */
  halfOpenAfterMs: number;
  /** Calls in flight to this provider at once, and calls waiting for a place. */
  maxConcurrent: number;
  maxQueued: number;
  /** Reading the provider's whole catalog (a sync, a dry run) may take this long: many pages, one call. */
  catalogDeadlineMs: number;
}

export const defaultResilience: ResilienceSettings = {
  deadlineMs: 3000,
  readRetries: 2,
  breakerThreshold: 5,
  halfOpenAfterMs: 10_000,
  maxConcurrent: 10,
  maxQueued: 20,
  catalogDeadlineMs: 60_000,
};

/** A read is retried, a write never; reading a whole catalog is a read with a deadline of its own. */
export type CallKind = "read" | "write" | "catalog";

export interface ProviderPolicy {
  /**
   * Runs one provider call under the instance's deadline, bulkhead and circuit
   * breaker; reads are also retried with jittered exponential backoff. Writes
   * are never retried here: a write whose answer was lost is for the
   * reconciler, which asks the provider what happened.
   */
  execute<T>(kind: CallKind, run: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T>;
  readonly circuitState: "closed" | "open" | "half-open" | "isolated";
}

/** Faults count against the provider; business answers (slot taken, not found, our own bad request) do not. */
const isFault = (error: unknown) =>
  error instanceof ProviderError && (error.kind === "timeout" || error.kind === "unavailable" || error.kind === "bad-response");
const isTransient = (error: unknown) => error instanceof ProviderError && error.kind === "unavailable";

export function createProviderPolicy(providerInstanceId: string, settings: ResilienceSettings): ProviderPolicy {
  const breaker = circuitBreaker(handleWhen(isFault), {
    halfOpenAfter: settings.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(settings.breakerThreshold),
  });
  const limit = bulkhead(settings.maxConcurrent, settings.maxQueued);
  const deadline = timeout(settings.deadlineMs, TimeoutStrategy.Aggressive);
  const retries = retry(handleWhen(isTransient), {
    maxAttempts: settings.readRetries,
    backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 400 }),
  });
  const policies: Record<CallKind, IPolicy> = {
    read: wrap(limit, deadline, retries, breaker),
    write: wrap(limit, deadline, breaker),
    catalog: wrap(limit, timeout(settings.catalogDeadlineMs, TimeoutStrategy.Aggressive), retries, breaker),
  };

  return {
    get circuitState() {
      return (
        {
          [CircuitState.Closed]: "closed",
          [CircuitState.Open]: "open",
          [CircuitState.HalfOpen]: "half-open",
          [CircuitState.Isolated]: "isolated",
        } as const
      )[breaker.state];
    },
    async execute(kind, run, signal) {
      try {
        return (await policies[kind].execute(({ signal: attemptSignal }) => run(attemptSignal), signal)) as Awaited<ReturnType<typeof run>>;
      } catch (error) {
        if (error instanceof BrokenCircuitError) {
          throw new ProviderError(
            providerInstanceId,
            "circuit-open",
            `circuit open after ${settings.breakerThreshold} consecutive failures; retrying in at most ${settings.halfOpenAfterMs / 1000} s`,
          );
        }
        if (error instanceof BulkheadRejectedError) {
          throw new ProviderError(
            providerInstanceId,
            "overloaded",
            `already ${settings.maxConcurrent} calls in flight and ${settings.maxQueued} waiting`,
          );
        }
        if (error instanceof TaskCancelledError) {
          const ms = kind === "catalog" ? settings.catalogDeadlineMs : settings.deadlineMs;
          throw new ProviderError(providerInstanceId, "timeout", `no answer within ${ms} ms`);
        }
        throw error;
      }
    },
  };
}
