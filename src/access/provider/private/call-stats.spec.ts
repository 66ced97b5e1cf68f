import { describe, expect, it } from "vitest";
import { createCallStats, percentile } from "./call-stats.js";

describe("per-instance call statistics", () => {
  it("gives nearest-rank percentiles", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(sorted, 0.5), percentile(sorted, 0.9), percentile(sorted, 0.99)]).toEqual([50, 90, 99]);
    expect(percentile([], 0.5)).toBe(0);
  });

  it("counts errors by kind over the window, keeps the last error and success, and forgets calls older than the window", () => {
    let clock = 0;
    const stats = createCallStats({ windowMs: 1000, now: () => clock });
    stats.record("kb", { ms: 10, outcome: "ok", operation: "find-open-slots" });
    clock = 500;
    stats.record("kb", { ms: 30, outcome: "timeout", operation: "book-slot", message: "no answer" });
    stats.record("kb", { ms: 20, outcome: "ok", operation: "find-open-slots" });
    stats.record("other", { ms: 99, outcome: "unavailable", operation: "x" });
    const summary = stats.summary("kb");
    expect(summary).toMatchObject({ calls: 3, failures: 1, p50Ms: 20, p99Ms: 30 });
    expect(summary.errors).toEqual([{ kind: "timeout", count: 1, rate: 1 / 3 }]);
    expect(summary.lastError).toMatchObject({ kind: "timeout", operation: "book-slot", message: "no answer" });
    clock = 1200;
    expect(stats.summary("kb")).toMatchObject({ calls: 2, failures: 1 });
    expect(stats.summary("nobody")).toMatchObject({ calls: 0, p50Ms: 0, errors: [] });
  });

  it("keeps at most the last maxCalls calls", () => {
    const stats = createCallStats({ maxCalls: 3 });
    for (const ms of [1, 2, 3, 4, 5]) stats.record("kb", { ms, outcome: "ok", operation: "x" });
    expect(stats.summary("kb")).toMatchObject({ calls: 3, p50Ms: 4 });
  });
});
