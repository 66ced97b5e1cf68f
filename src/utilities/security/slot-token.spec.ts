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

describe("slot ids", () => {
  const tokens = createSlotTokens("a-secret-of-enough-length");

  it("lead back to the provider's slot they were made from", () => {
    expect(tokens.verify(tokens.sign(slot))).toEqual(slot);
  });

  it("are refused when someone edits the slot inside them", () => {
    const [payload, mac] = tokens.sign(slot).split(".");
    const edited = JSON.parse(Buffer.from(payload!, "base64url").toString()) as unknown[];
    edited[1] = "someone-elses-slot";
    const forged = `${Buffer.from(JSON.stringify(edited)).toString("base64url")}.${mac}`;
    expect(tokens.verify(forged)).toBeUndefined();
  });

  it("are refused when signed with another key", () => {
    expect(tokens.verify(createSlotTokens("another-secret-of-enough-length").sign(slot))).toBeUndefined();
  });

  it("are refused when garbled", () => {
    expect(tokens.verify("not-a-slot-id")).toBeUndefined();
    expect(tokens.verify("a.b.c")).toBeUndefined();
    expect(tokens.verify("")).toBeUndefined();
  });
});
