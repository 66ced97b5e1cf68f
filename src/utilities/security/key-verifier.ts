import { LRUCache } from "lru-cache";
import type { ApiKeyRecord, ApiKeyStore } from "./api-key-store.js";

export interface KeyVerifier {
  verify(value: string): Promise<ApiKeyRecord | undefined>;
}

/**
 * Verifies API keys against the store, remembering each answer for a short
 * while, so that a busy client costs one table read per key per `ttlMs`, not
 * one per request. The price: a revoked key keeps working for at most `ttlMs`
 * in each API process (30 s by default; said in the README's SECURITY section).
 * Unknown keys are remembered too, so that guessing costs the table nothing.
 */
export function createKeyVerifier(store: Pick<ApiKeyStore, "verify">, options: { ttlMs?: number; max?: number } = {}): KeyVerifier {
  const cache = new LRUCache<string, { record: ApiKeyRecord | null }>({ max: options.max ?? 10_000, ttl: options.ttlMs ?? 30_000 });
  return {
    async verify(value) {
      const known = cache.get(value);
      if (known) return known.record ?? undefined;
      const record = await store.verify(value);
      cache.set(value, { record: record ?? null });
      return record;
    },
  };
}
