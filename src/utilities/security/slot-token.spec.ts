import { describe, expect, it } from "vitest";
import { createSlotTokens, type SlotReference } from "./slot-token.js";

const slot: SlotReference = {
  providerInstanceId: "klinikbokning-demo",
  providerSlotId: "KB-STH-ODEN-2026-03-02-0900-P1",
  clinicId: "odenplan-clinic",
  treatmentId: "dental-checkup",
  start: Date.parse("2026-03-02T08:00:00Z"),
  end: Date.parse("2026-03-02T08:30:00Z"),
};
const issued = new Date("2026-02-20T10:00:00Z");
const hoursLater = (hours: number) => new Date(issued.getTime() + hours * 3_600_000);

describe("slot ids", () => {
  const tokens = createSlotTokens("a-secret-of-enough-length");

  it("lead back to the provider's slot they were made from", () => {
    expect(tokens.verify(tokens.sign(slot, issued), hoursLater(1))).toEqual(slot);
  });

  it("are refused when someone edits the slot inside them", () => {
    const [payload, mac] = tokens.sign(slot, issued).split(".");
    const edited = JSON.parse(Buffer.from(payload!, "base64url").toString()) as unknown[];
    edited[1] = "someone-elses-slot";
    const forged = `${Buffer.from(JSON.stringify(edited)).toString("base64url")}.${mac}`;
    expect(tokens.check(forged, hoursLater(1))).toEqual({ ok: false, problem: "invalid" });
  });

  it("are refused when signed with another key", () => {
    expect(tokens.verify(createSlotTokens("another-secret-of-enough-length").sign(slot, issued), hoursLater(1))).toBeUndefined();
  });

  it("are refused when garbled", () => {
    expect(tokens.verify("not-a-slot-id")).toBeUndefined();
    expect(tokens.verify("a.b.c")).toBeUndefined();
    expect(tokens.verify("")).toBeUndefined();
  });

  it("expire a day after the search that handed them out, and say so", () => {
    const token = tokens.sign(slot, issued);
    expect(tokens.check(token, hoursLater(23.9)).ok).toBe(true);
    expect(tokens.check(token, hoursLater(24.1))).toEqual({ ok: false, problem: "expired", issuedAt: issued });
  });

  it("keep working through a rotation: signed with the new secret, still accepted when signed with the previous one", () => {
    const before = createSlotTokens("the-old-secret-being-rotated-out");
    const during = createSlotTokens({ secrets: ["the-new-secret-being-rotated-in", "the-old-secret-being-rotated-out"] });
    const after = createSlotTokens("the-new-secret-being-rotated-in");
    const old = before.sign(slot, issued);
    expect(during.verify(old, hoursLater(1))).toEqual(slot);
    expect(after.verify(old, hoursLater(1))).toBeUndefined();
    expect(after.verify(during.sign(slot, issued), hoursLater(1))).toEqual(slot);
  });
});
