import { describe, expect, it } from "vitest";
import { ProviderError } from "../provider-error.js";
import { createProviderPolicy, defaultResilience } from "./resilience.js";

const policyWith = (overrides: Partial<typeof defaultResilience> = {}) =>
  createProviderPolicy("kb", { ...defaultResilience, halfOpenAfterMs: 100, ...overrides });
const never = new AbortController().signal;
const failing = (kind: ProviderError["kind"]) => async () => {
  throw new ProviderError("kb", kind, "simulated");
};
async function kindOf(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return (error as ProviderError).kind;
}

describe("calls to a provider", () => {
  it("retry a safe read after a transient failure", async () => {
    let calls = 0;
    const answer = await policyWith().execute(
      "read",
      async () => {
        calls++;
        if (calls < 2) throw new ProviderError("kb", "unavailable", "HTTP 503");
        return "slots";
      },
      never,
    );
    expect(answer).toBe("slots");
    expect(calls).toBe(2);
  });

  it("never retry a write: its outcome is for the reconciler to learn", async () => {
    let calls = 0;
    const policy = policyWith();
    expect(
      await kindOf(
        policy.execute(
          "write",
          async () => {
            calls++;
            throw new ProviderError("kb", "unavailable", "HTTP 503");
          },
          never,
        ),
      ),
    ).toBe("unavailable");
    expect(calls).toBe(1);
  });

  it("give up at the deadline on a provider that hangs", async () => {
    const started = Date.now();
    const kind = await kindOf(
      policyWith({ deadlineMs: 100 }).execute(
        "read",
        (signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")))),
        never,
      ),
    );
    expect(kind).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("stop calling a provider after repeated faults, then try it again after a while", async () => {
    const policy = policyWith({ breakerThreshold: 3, readRetries: 0 });
    for (let i = 0; i < 3; i++) expect(await kindOf(policy.execute("read", failing("bad-response"), never))).toBe("bad-response");
    expect(policy.circuitState).toBe("open");
    let called = false;
    expect(
      await kindOf(
        policy.execute(
          "read",
          async () => {
            called = true;
            return 1;
          },
          never,
        ),
      ),
    ).toBe("circuit-open");
    expect(called).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await policy.execute("read", async () => "recovered", never)).toBe("recovered");
    expect(policy.circuitState).toBe("closed");
  });

  it("do not count a taken slot as a provider fault", async () => {
    const policy = policyWith({ breakerThreshold: 2 });
    for (let i = 0; i < 5; i++) await kindOf(policy.execute("write", failing("slot-unavailable"), never));
    expect(policy.circuitState).toBe("closed");
  });

  it("refuse a call beyond the provider's concurrency limit instead of piling up", async () => {
    const policy = policyWith({ maxConcurrent: 1, maxQueued: 0 });
    let release!: () => void;
    const first = policy.execute("read", () => new Promise<string>((resolve) => (release = () => resolve("first"))), never);
    expect(await kindOf(policy.execute("read", async () => "second", never))).toBe("overloaded");
    release();
    expect(await first).toBe("first");
  });
});
