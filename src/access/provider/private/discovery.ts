import type { ProviderAdapter } from "../adapter.js";

export interface Discovery {
  /** Runs the adapter's discovery unless a fresh one has succeeded; concurrent callers share one run. */
  ensure(signal: AbortSignal): Promise<void>;
  /** Whether describing the instance should try a discovery first: never succeeded or stale, and not failed just now. */
  readonly due: boolean;
}

/**
 * When provider access asks an adapter what its server can do (adapter.ts,
 * `discover`): once before first use, again when the answer is `ttlMs` old.
 * A failed discovery is not remembered as an answer, so the next verb call
 * tries again; describing the instance waits `retryAfterMs` before trying
 * again, so that a provider that is down does not slow down every describe.
 */
export function createDiscovery(adapter: ProviderAdapter, options: { ttlMs: number; retryAfterMs: number; now?: () => number }): Discovery {
  const now = options.now ?? Date.now;
  let discoveredAt: number | undefined;
  let failedAt: number | undefined;
  let running: Promise<void> | undefined;
  const fresh = () => discoveredAt !== undefined && now() - discoveredAt < options.ttlMs;

  return {
    get due() {
      if (!adapter.discover || fresh()) return false;
      return failedAt === undefined || now() - failedAt >= options.retryAfterMs;
    },
    ensure(signal) {
      if (!adapter.discover || fresh()) return Promise.resolve();
      running ??= adapter
        .discover(signal)
        .then(
          () => {
            discoveredAt = now();
            failedAt = undefined;
          },
          (error: unknown) => {
            failedAt = now();
            throw error;
          },
        )
        .finally(() => {
          running = undefined;
        });
      return running;
    },
  };
}
