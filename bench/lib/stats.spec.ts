import { describe, expect, it } from "vitest";
import {
  formatNumber,
  formatRatio,
  formatTable,
  parseProcStat,
  parsePss,
  percentile,
  processTree,
  ratioToTarget,
  summarize,
  treeSum,
} from "./stats.js";

describe("percentiles", () => {
  it("are nearest-rank: the smallest value with at least p % of the values at or below it", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 90)).toBe(90);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3], 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });

  it("are taken from unsorted latencies without changing them", () => {
    const latencies = [30, 10, 20, 40, 50, 60, 70, 80, 90, 100];
    expect(summarize(latencies)).toEqual({ p50: 50, p90: 90, p99: 100, max: 100 });
    expect(latencies[0]).toBe(30);
    expect(summarize([]).p50).toBeNaN();
  });
});

describe("ratios to targets", () => {
  it("are measured / target where more is better and target / measured where less is", () => {
    expect(ratioToTarget(3000, 2000, "higher")).toBe(1.5);
    expect(ratioToTarget(100, 50, "lower")).toBe(0.5);
    expect(ratioToTarget(25, 50, "lower")).toBe(2);
  });

  it("say ∞ for nothing measured where less is better, and — where nothing can be said", () => {
    expect(formatRatio(ratioToTarget(0, 10, "lower"))).toBe("∞");
    expect(formatRatio(ratioToTarget(-3, 10, "lower"))).toBe("∞");
    expect(formatRatio(ratioToTarget(Number.NaN, 10, "lower"))).toBe("—");
    expect(formatRatio(ratioToTarget(5, 0, "higher"))).toBe("—");
    expect(formatRatio(1 / 3)).toBe("0.33");
  });

  it("print numbers with a decimal below 100 and grouped without from 100 on", () => {
    expect(formatNumber(1.234)).toBe("1.2");
    expect(formatNumber(1.234, 2)).toBe("1.23");
    expect(formatNumber(2345.6)).toBe("2,346");
    expect(formatNumber(Number.NaN)).toBe("—");
  });
});

describe("resident memory and CPU of process trees", () => {
  const table = [
    { pid: 1, ppid: 0, rssBytes: 1, cpuTicks: 0 },
    { pid: 10, ppid: 1, rssBytes: 100, cpuTicks: 5 },
    // DynamoDB Local: a wrapper and its JVM.
    { pid: 20, ppid: 1, rssBytes: 10, cpuTicks: 1 },
    { pid: 21, ppid: 20, rssBytes: 300, cpuTicks: 40 },
    { pid: 22, ppid: 21, rssBytes: 5, cpuTicks: 0 },
    { pid: 30, ppid: 1, rssBytes: 999, cpuTicks: 99 },
  ];

  it("counts a process with all its descendants", () => {
    expect(processTree(table, 20).map((p) => p.pid)).toEqual([20, 21, 22]);
    expect(processTree(table, 99)).toEqual([]);
  });

  it("sums each root's tree, and every pid once in the total", () => {
    expect(treeSum(table, { api: 10, dynamodb: 20, jvm: 21 })).toEqual({ byName: { api: 100, dynamodb: 315, jvm: 305 }, total: 415 });
    expect(treeSum(table, { dynamodb: 20 }, "cpuTicks")).toEqual({ byName: { dynamodb: 41 }, total: 41 });
  });

  it("reads /proc/<pid>/stat and statm, whatever the command's name holds", () => {
    const stat = "4242 (node (api) x) S 4200 4242 4200 0 -1 4194560 1 0 0 0 250 31 0 0 20 0 11 0 123 456 789";
    expect(parseProcStat(stat, "1000 250 30 10 0 200 0", 4096)).toEqual({ pid: 4242, ppid: 4200, rssBytes: 250 * 4096, cpuTicks: 281 });
    expect(parseProcStat("garbage", "", 4096)).toBeUndefined();
  });

  it("reads the proportional set size of /proc/<pid>/smaps_rollup, not its Rss or Pss_Anon lines", () => {
    const rollup = [
      "55d0c0a00000-7ffd5a3f6000 ---p 00000000 00:00 0                          [rollup]",
      "Rss:               71916 kB",
      "Pss:               24533 kB",
      "Pss_Anon:          20600 kB",
      "Pss_File:           3933 kB",
      "Shared_Clean:      50012 kB",
    ].join("\n");
    expect(parsePss(rollup)).toBe(24533 * 1024);
    expect(parsePss("Rss: 10 kB")).toBeUndefined();
  });
});

describe("the table", () => {
  it("aligns every column to its widest cell, text left and figures right", () => {
    const text = formatTable(
      [{ header: "row", align: "left" }, { header: "req/s" }],
      [
        ["(a) cold", "12.5"],
        ["(b) warm availability", "2,100"],
      ],
    );
    expect(text.split("\n")).toEqual([
      "row                    req/s",
      "---------------------  -----",
      "(a) cold                12.5",
      "(b) warm availability  2,100",
    ]);
  });
});
