import { Code, ConnectError } from "@connectrpc/connect";
import { errorFromJsonBytes, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { describe, expect, it } from "vitest";
import { ErrorReason, grpcCodeOf, hasReason, metadataOf, platformError, reasonName, reasonOf } from "./platform-error.js";

describe("platform errors", () => {
  it("carry their reason and metadata over the wire, whatever the message says", () => {
    // What a server writes and a client reads back: the error's wire form, details included.
    const sent = platformError(ErrorReason.HOLD_EXPIRED, "words for people, free to change", { provider_instance_id: "kb" });
    const error = errorFromJsonBytes(errorToJsonBytes(sent, {}), undefined, new ConnectError("unreadable", Code.Internal));
    expect(reasonOf(error)).toBe(ErrorReason.HOLD_EXPIRED);
    expect(hasReason(error, ErrorReason.SLOT_UNAVAILABLE, ErrorReason.HOLD_EXPIRED)).toBe(true);
    expect(metadataOf(error)).toEqual({ provider_instance_id: "kb" });
    expect(ConnectError.from(error).code).toBe(Code.FailedPrecondition);
  });

  it("read as UNSPECIFIED when a failure carries no reason", () => {
    expect(reasonOf(new ConnectError("transport broke", Code.Unavailable))).toBe(ErrorReason.UNSPECIFIED);
    expect(reasonOf(new Error("a bug"))).toBe(ErrorReason.UNSPECIFIED);
    expect(metadataOf(new Error("a bug"))).toEqual({});
  });

  it("name every reason of the contract, each with a gRPC status", () => {
    const reasons = Object.values(ErrorReason).filter((v): v is ErrorReason => typeof v === "number");
    expect(reasons.length).toBeGreaterThan(20);
    for (const reason of reasons) {
      expect(grpcCodeOf(reason), reasonName(reason)).toBeTypeOf("number");
      expect(reasonName(reason)).toMatch(/^[A-Z_]+$/);
    }
  });
});
