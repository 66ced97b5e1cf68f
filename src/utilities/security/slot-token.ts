import { createHmac, timingSafeEqual } from "node:crypto";

/** What a slot id carries, so that a reservation needs no cached state to find the slot again. */
export interface SlotReference {
  providerInstanceId: string;
  providerSlotId: string;
  clinicId: string;
  treatmentId: string;
  /** Start and end instants, epoch milliseconds. */
  start: number;
  end: number;
}

export type SlotTokenCheck =
  | { ok: true; slot: SlotReference; issuedAt: Date }
  | { ok: false; problem: "invalid" | "expired"; issuedAt?: Date };

export interface SlotTokens {
  sign(slot: SlotReference, issuedAt?: Date): string;
  /** The reference when the token is ours, unaltered and not expired; why not otherwise. */
  check(token: string, at?: Date): SlotTokenCheck;
  /** The reference, or undefined when the token was altered, truncated, signed with an unknown key or expired. */
  verify(token: string, at?: Date): SlotReference | undefined;
}

export interface SlotTokenOptions {
  /** The secret new tokens are signed with, then any still accepted while it is rotated out. */
  secrets: string[];
  /** How long a slot id may be used after the search that handed it out (default 24 h). */
  lifetimeMs?: number;
}

export const defaultSlotTokenLifetimeMs = 24 * 3_600_000;

/**
 * Slot ids are `<payload>.<hmac>` in base64url: opaque to Vården, tamper-proof
 * for us. The payload holds the slot and the instant the id was issued; an id
 * older than its lifetime is refused as expired (a stale search, or an id
 * someone kept). Rotating the secret: sign with the new one and keep checking
 * the old one (`BP_SLOT_TOKEN_SECRET_PREVIOUS`) for one lifetime.
 */
export function createSlotTokens(options: SlotTokenOptions | string): SlotTokens {
  const { secrets, lifetimeMs = defaultSlotTokenLifetimeMs } = typeof options === "string" ? { secrets: [options] } : options;
  if (secrets.length === 0) throw new Error("slot tokens need a secret");
  for (const secret of secrets) if (secret.length < 16) throw new Error("slot token secret must be at least 16 characters");
  const mac = (secret: string, payload: string) => createHmac("sha256", secret).update(payload).digest();

  const check = (token: string, at = new Date()): SlotTokenCheck => {
    const [payload, signature, ...rest] = token.split(".");
    if (!payload || !signature || rest.length > 0) return { ok: false, problem: "invalid" };
    const given = Buffer.from(signature, "base64url");
    const signed = secrets.some((secret) => {
      const expected = mac(secret, payload);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!signed) return { ok: false, problem: "invalid" };
    let fields: unknown[];
    try {
      fields = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as unknown[];
    } catch {
      return { ok: false, problem: "invalid" };
    }
    const [providerInstanceId, providerSlotId, clinicId, treatmentId, start, end, issued] = fields;
    if (
      typeof providerInstanceId !== "string" ||
      typeof providerSlotId !== "string" ||
      typeof clinicId !== "string" ||
      typeof treatmentId !== "string" ||
      typeof start !== "number" ||
      typeof end !== "number" ||
      typeof issued !== "number"
    ) {
      return { ok: false, problem: "invalid" };
    }
    const issuedAt = new Date(issued);
    if (at.getTime() - issued > lifetimeMs) return { ok: false, problem: "expired", issuedAt };
    return { ok: true, slot: { providerInstanceId, providerSlotId, clinicId, treatmentId, start, end }, issuedAt };
  };

  return {
    sign(slot, issuedAt = new Date()) {
      const payload = Buffer.from(
        JSON.stringify([
          slot.providerInstanceId,
          slot.providerSlotId,
          slot.clinicId,
          slot.treatmentId,
          slot.start,
          slot.end,
          issuedAt.getTime(),
        ]),
      ).toString("base64url");
      return `${payload}.${mac(secrets[0]!, payload).toString("base64url")}`;
    },
    check,
    verify(token, at) {
      const result = check(token, at);
      return result.ok ? result.slot : undefined;
    },
  };
}
