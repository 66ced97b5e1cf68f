import { describe, expect, it } from "vitest";
import { ErrorReason, reasonOf } from "../../../utilities/errors/platform-error.js";
import { createCredentialResolver } from "./credentials.js";

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

describe("credentials by reference", () => {
  it("reads an environment variable by its name, and none for no reference", async () => {
    const resolver = createCredentialResolver({ env: { CHAIN_TOKEN: "s3cret" } });
    expect(await resolver.resolve("chain", { env: "CHAIN_TOKEN" })).toBe("s3cret");
    expect(await resolver.resolve("chain", {})).toBeUndefined();
    expect(reasonOf(await failure(resolver.resolve("chain", { env: "NOT_SET" })))).toBe(ErrorReason.CREDENTIALS_UNRESOLVED);
  });

  it("reads a Secrets Manager secret on use, remembers it for a while, then reads it again (a rotation needs no restart)", async () => {
    let clock = 0;
    const asked: string[] = [];
    let value = "first";
    const resolver = createCredentialResolver({
      env: {},
      now: () => clock,
      secretTtlMs: 1000,
      secrets: async () => ({
        getSecretValue: async (id) => {
          asked.push(id);
          return value;
        },
      }),
    });
    expect(await resolver.resolve("chain", { secretId: "booking/chain" })).toBe("first");
    value = "rotated";
    clock = 999;
    expect(await resolver.resolve("chain", { secretId: "booking/chain" })).toBe("first");
    clock = 1000;
    expect(await resolver.resolve("chain", { secretId: "booking/chain" })).toBe("rotated");
    expect(asked).toEqual(["booking/chain", "booking/chain"]);
  });

  it("does not remember a secret it could not read: the next use asks again", async () => {
    let exists = false;
    const resolver = createCredentialResolver({
      env: {},
      secrets: async () => ({
        getSecretValue: async () => {
          if (!exists) throw Object.assign(new Error("no such secret"), { name: "ResourceNotFoundException" });
          return "made-since";
        },
      }),
    });
    expect(reasonOf(await failure(resolver.resolve("chain", { secretId: "booking/new" })))).toBe(ErrorReason.CREDENTIALS_UNRESOLVED);
    exists = true;
    expect(await resolver.resolve("chain", { secretId: "booking/new" })).toBe("made-since");
  });
});
