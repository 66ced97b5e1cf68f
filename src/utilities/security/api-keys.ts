import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * API keys, the way Stripe and GitHub make them: a random secret with a
 * readable prefix that says what it is, stored only as a hash.
 *
 *   bp_live_k7f3q9x2m4t8_9R1yKq…   (44 characters of secret)
 *   └──┬──┘ └────┬─────┘ └──┬──┘
 *   product  key id         secret: 32 random bytes, base64url
 *   + environment (shown in lists, logs and the console)
 *
 * The key id finds the stored record in one read; the secret is compared by
 * its SHA-256. A fast hash is right here (unlike for passwords): the secret is
 * 256 random bits, so there is nothing to guess from a leaked hash.
 */
export const scopes = ["availability:read", "reservations:read", "reservations:write", "admin"] as const;
export type Scope = (typeof scopes)[number];

export type KeyEnvironment = "live" | "test" | "dev";

export interface ParsedApiKey {
  environment: KeyEnvironment;
  keyId: string;
  secret: string;
}

const keyPattern = /^bp_(live|test|dev)_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

/** A new key: show `value` once, store `keyId`, `prefix` and `hash` only. */
export function generateApiKey(environment: KeyEnvironment) {
  const keyId = Array.from(randomBytes(12), (b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("");
  const secret = randomBytes(32).toString("base64url");
  const value = `bp_${environment}_${keyId}_${secret}`;
  return { value, keyId, prefix: displayPrefix(environment, keyId), hash: hashSecret(secret) };
}

/** The parts of a key as a caller sent it, or undefined when it is not shaped like one of ours. */
export function parseApiKey(value: string): ParsedApiKey | undefined {
  const match = keyPattern.exec(value);
  if (!match) return undefined;
  return { environment: match[1] as KeyEnvironment, keyId: match[2]!, secret: match[3]! };
}

/** What may be shown of a key: enough to recognise it, nothing to use it. */
export const displayPrefix = (environment: KeyEnvironment, keyId: string) => `bp_${environment}_${keyId}`;

export const hashSecret = (secret: string) => createHash("sha256").update(secret).digest("base64url");

/** Whether a secret matches a stored hash, in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret));
  const stored = Buffer.from(storedHash);
  return given.length === stored.length && timingSafeEqual(given, stored);
}

export function readScopes(values: string[]): Scope[] {
  const unknown = values.filter((v) => !scopes.includes(v as Scope));
  if (unknown.length > 0) throw new Error(`unknown scope ${unknown.join(", ")} (known: ${scopes.join(", ")})`);
  return values as Scope[];
}
