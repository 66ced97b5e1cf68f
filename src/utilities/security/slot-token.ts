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

export interface SlotTokens {
  sign(slot: SlotReference): string;
  /** The reference, or undefined when the token was altered, truncated or signed with another key. */
  verify(token: string): SlotReference | undefined;
}

/**
 * Slot ids are `<payload>.<hmac>` in base64url: opaque to Vården, tamper-proof
 * for us. The secret comes from configuration; rotating it invalidates ids
 * handed out earlier, which only costs a patient a fresh search.
 */
export function createSlotTokens(secret: string): SlotTokens {
  if (secret.length < 16) throw new Error("slot token secret must be at least 16 characters");
  const mac = (payload: string) => createHmac("sha256", secret).update(payload).digest();
  return {
    sign(slot) {
      const payload = Buffer.from(
        JSON.stringify([slot.providerInstanceId, slot.providerSlotId, slot.clinicId, slot.treatmentId, slot.start, slot.end]),
      ).toString("base64url");
      return `${payload}.${mac(payload).toString("base64url")}`;
    },
    verify(token) {
      const [payload, signature, ...rest] = token.split(".");
      if (!payload || !signature || rest.length > 0) return undefined;
      const expected = mac(payload);
      const given = Buffer.from(signature, "base64url");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      try {
        const [providerInstanceId, providerSlotId, clinicId, treatmentId, start, end] = JSON.parse(
          Buffer.from(payload, "base64url").toString("utf8"),
        ) as unknown[];
        if (
          typeof providerInstanceId !== "string" ||
          typeof providerSlotId !== "string" ||
          typeof clinicId !== "string" ||
          typeof treatmentId !== "string" ||
          typeof start !== "number" ||
          typeof end !== "number"
        )
          return undefined;
        return { providerInstanceId, providerSlotId, clinicId, treatmentId, start, end };
      } catch {
        return undefined;
      }
    },
  };
}
