import { AsyncLocalStorage } from "node:async_hooks";
import type { Logger } from "../../../utilities/logging/logger.js";

/**
 * Which adapter operation a provider HTTP request belongs to, and where to log
 * it. Provider access sets it around each adapter call, so that adapters need
 * not pass the operation down to every request they make; an adapter used on
 * its own (the conformance kit) simply has none.
 */
export interface ProviderCall {
  /** The adapter verb, e.g. "find-open-slots", "book-slot". */
  operation: string;
  log?: Logger;
}

const current = new AsyncLocalStorage<ProviderCall>();

export function withProviderCall<T>(call: ProviderCall, run: () => T): T {
  return current.run(call, run);
}

export function currentProviderCall(): ProviderCall | undefined {
  return current.getStore();
}
