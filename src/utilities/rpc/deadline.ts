import { AsyncLocalStorage } from "node:async_hooks";
import type { Client, Interceptor } from "@connectrpc/connect";

/**
 * Every request has a deadline, and it travels: the REST API gives each
 * request one (BP_REQUEST_DEADLINE_MS), every gRPC call carries what is left of
 * it (`grpc-timeout`), each service runs its handler under it, and every call
 * that service makes (to another service, to DynamoDB, to a provider) gets at
 * most the time that remains. A hung service or database then costs the caller
 * its deadline and a 504, never a hang, and work nobody waits for stops.
 *
 * The deadline of the request being handled is kept in an AsyncLocalStorage,
 * so that nothing between the edge and the calls has to pass it along.
 */
export interface Deadline {
  /** Epoch milliseconds. */
  at: number;
  /** Aborted when the deadline passes or the caller goes away. */
  signal: AbortSignal;
  /** Aborted when the caller goes away only (a gRPC call reports its own deadline as DeadlineExceeded). */
  cancelled: AbortSignal;
}

const storage = new AsyncLocalStorage<Deadline>();

/** Runs `work` under a deadline `ms` from now (or the caller's, if that is sooner). */
export function withDeadline<T>(ms: number, work: () => T, signal?: AbortSignal): T {
  const inherited = storage.getStore();
  const at = Math.min(Date.now() + ms, inherited?.at ?? Number.POSITIVE_INFINITY);
  const cancelled = AbortSignal.any([...(signal ? [signal] : []), ...(inherited ? [inherited.cancelled] : [])]);
  const combined = AbortSignal.any([AbortSignal.timeout(Math.max(1, at - Date.now())), cancelled]);
  return storage.run({ at, signal: combined, cancelled }, work);
}

/** The deadline of the request being handled here, if any. */
export function currentDeadline(): Deadline | undefined {
  return storage.getStore();
}

/** Milliseconds left of the current deadline, or undefined when there is none. */
export function remainingMs(): number | undefined {
  const deadline = storage.getStore();
  return deadline ? Math.max(1, deadline.at - Date.now()) : undefined;
}

/** `grpc-timeout` ("250m", "3S", "1H" …) or Connect's `connect-timeout-ms`, in milliseconds. */
export function parseTimeoutHeader(headers: Headers): number | undefined {
  const connect = headers.get("connect-timeout-ms");
  if (connect && /^\d{1,10}$/.test(connect)) return Number(connect);
  const match = /^(\d{1,8})([HMSmun])$/.exec(headers.get("grpc-timeout") ?? "");
  if (!match) return undefined;
  const factor = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000_001 }[match[2] as "H"];
  return Math.max(1, Math.floor(Number(match[1]) * factor));
}

/** Server side: the handler (and everything it calls) runs under the caller's deadline. */
export const deadlineServerInterceptor: Interceptor = (next) => (req) => {
  const ms = parseTimeoutHeader(req.header);
  if (ms === undefined) return next(req);
  return withDeadline(ms, () => next(req), req.signal);
};

/**
 * A client whose every call gets at most what is left of the current deadline
 * (as its `timeoutMs`, which becomes the call's `grpc-timeout`), and stops when
 * the deadline's signal aborts. An explicit shorter `timeoutMs` still wins.
 */
export function deadlineBound<C extends Client<never>>(client: C): C {
  return new Proxy(client, {
    get(target, property, receiver) {
      const method = Reflect.get(target, property, receiver);
      if (typeof method !== "function") return method;
      return (request: unknown, options: { timeoutMs?: number; signal?: AbortSignal } = {}) => {
        const deadline = currentDeadline();
        if (!deadline) return method.call(target, request, options);
        const left = Math.max(1, deadline.at - Date.now());
        return method.call(target, request, {
          ...options,
          timeoutMs: Math.min(options.timeoutMs ?? left, left),
          // The deadline itself is the call's timeoutMs (so it ends as DeadlineExceeded); the signal is for a caller gone.
          signal: options.signal ? AbortSignal.any([options.signal, deadline.cancelled]) : deadline.cancelled,
        });
      };
    },
  });
}

/**
 * Runs `work` outside any request's deadline: for work that goes on after the
 * request that started it was answered (a catalog sync started over the API).
 * Its calls get no deadline from that request, and its caller going away does
 * not stop it.
 */
export function detached<T>(work: () => T): T {
  return storage.exit(work);
}
