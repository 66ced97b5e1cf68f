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

describe("the last hour, minute by minute", () => {
  it("counts each minute's calls and failures by kind, with its p50 and p95, and forgets minutes older than an hour", () => {
    let clock = Date.parse("2026-11-25T10:00:00Z");
    const stats = createCallStats({ now: () => clock });
    for (let ms = 1; ms <= 100; ms++) stats.record("kb", { ms, outcome: ms % 10 === 0 ? "timeout" : "ok", operation: "x" });
    clock += 60_000;
    stats.record("kb", { ms: 7, outcome: "unavailable", operation: "x" });
    expect(stats.lastHour("kb")).toEqual([
      { start: new Date("2026-11-25T10:00:00Z"), calls: 100, failures: 10, p50Ms: 50, p95Ms: 95, errors: [{ kind: "timeout", count: 10 }] },
      { start: new Date("2026-11-25T10:01:00Z"), calls: 1, failures: 1, p50Ms: 7, p95Ms: 7, errors: [{ kind: "unavailable", count: 1 }] },
    ]);
    expect(stats.summary("kb")).toMatchObject({ calls: 101, p95Ms: 95 });
    clock += 59 * 60_000;
    expect(stats.lastHour("kb").map((m) => m.start.toISOString())).toEqual(["2026-11-25T10:01:00.000Z"]);
    clock += 60_000;
    expect(stats.lastHour("kb")).toEqual([]);
    expect(stats.lastHour("nobody")).toEqual([]);
    expect(stats.since).toEqual(new Date("2026-11-25T10:00:00Z"));
  });

  it("keeps a bounded sample of a busy minute's durations, drawn from all of them", () => {
    const stats = createCallStats({ now: () => 0, samplesPerMinute: 10, random: () => 0 });
    for (let ms = 1; ms <= 1000; ms++) stats.record("kb", { ms, outcome: "ok", operation: "x" });
    const [minute] = stats.lastHour("kb");
    expect(minute?.calls).toBe(1000);
    // random() = 0 puts every later call in the first place: the sample is 1000, 2 … 10.
    expect(minute?.p95Ms).toBe(1000);
  });
});
