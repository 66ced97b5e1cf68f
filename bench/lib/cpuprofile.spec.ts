import { describe, expect, it } from "vitest";
import { type CpuProfile, groupOf, inclusiveShare, restrictToWindow, selfTimes, selfTimesByGroup, shortUrl } from "./cpuprofile.js";

const frame = (functionName: string, url = "", lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0, scriptId: "0" });

/**
 * (root) ─┬─ handler (app) ─── encode (@bufbuild/protobuf) ─── stringify (native)
 *         ├─ send (@aws-sdk/client-dynamodb)
 *         ├─ (idle)
 *         └─ (garbage collector)
 */
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame("(root)"), children: [2, 4, 5, 6] },
    { id: 2, callFrame: frame("handler", "file:///repo/dist/managers/booking/use-cases/search.js", 9), children: [3] },
    { id: 3, callFrame: frame("encode", "file:///repo/node_modules/@bufbuild/protobuf/dist/esm/to-binary.js", 41), children: [7] },
    { id: 4, callFrame: frame("send", "file:///repo/node_modules/@aws-sdk/client-dynamodb/dist-es/index.js", 1) },
    { id: 5, callFrame: frame("(idle)") },
    { id: 6, callFrame: frame("(garbage collector)") },
    { id: 7, callFrame: frame("stringify") },
  ],
  startTime: 1_000_000,
  endTime: 1_010_000,
  // 10 samples 1 ms apart: handler 2, encode 3, send 1, stringify 1, idle 2, gc 1.
  samples: [2, 3, 3, 3, 2, 4, 7, 5, 5, 6],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
};

describe("reading a V8 CPU profile", () => {
  it("adds up self time per function, as shares of the busy samples", () => {
    const times = selfTimes(profile);
    expect(times.map((t) => [t.name, t.samples])).toEqual([
      ["encode @bufbuild/protobuf/dist/esm/to-binary.js:42", 3],
      ["(idle)", 2],
      ["handler dist/managers/booking/use-cases/search.js:10", 2],
      ["(garbage collector)", 1],
      ["send @aws-sdk/client-dynamodb/dist-es/index.js:2", 1],
      ["stringify", 1],
    ]);
    expect(times[0]!.share).toBeCloseTo(3 / 8);
    expect(times[0]!.ms).toBeCloseTo(3);
    expect(times.find((t) => t.name === "(idle)")!.share).toBe(0);
  });

  it("falls back on each node's hitCount when the profile has no samples", () => {
    const counted: CpuProfile = {
      nodes: profile.nodes.map((node) => ({ ...node, hitCount: node.id === 4 ? 6 : node.id === 2 ? 2 : 0 })),
      startTime: 0,
      endTime: 8000,
    };
    expect(selfTimes(counted).map((t) => [t.name.split(" ")[0], t.samples, t.ms])).toEqual([
      ["send", 6, 6],
      ["handler", 2, 2],
    ]);
  });

  it("groups by package: the scoped name after the last node_modules, node:, app, v8", () => {
    expect(groupOf("file:///r/node_modules/a/node_modules/@opentelemetry/api/build/x.js")).toBe("@opentelemetry/api");
    expect(groupOf("file:///r/node_modules/fastify/lib/route.js")).toBe("fastify");
    expect(groupOf("node:internal/http2/core")).toBe("node:");
    expect(groupOf("file:///r/dist/client/api/server.js")).toBe("app");
    expect(groupOf("", "(garbage collector)")).toBe("v8");
    expect(groupOf("", "stringify")).toBe("native");
    expect(selfTimesByGroup(profile).map((g) => [g.group, g.samples])).toEqual([
      ["@bufbuild/protobuf", 3],
      ["app", 2],
      ["@aws-sdk/client-dynamodb", 1],
      ["native", 1],
      ["v8", 1],
    ]);
    expect(shortUrl("file:///home/me/repo/dist/x.js")).toBe("dist/x.js");
  });

  it("counts inclusive time: the busy samples with a picked frame anywhere on the stack", () => {
    expect(inclusiveShare(profile, (f) => f.url.includes("@bufbuild"))).toBeCloseTo(4 / 8);
    expect(inclusiveShare(profile, (f) => f.url.includes("/dist/"))).toBeCloseTo(6 / 8);
    expect(inclusiveShare(profile, (f) => f.functionName === "nothing")).toBe(0);
  });

  it("cuts the profile to a window of time, so that start-up does not count as load", () => {
    // Samples at 1 001 000 … 1 010 000 µs; keep 1 004 000 … 1 007 000: nodes 3, 2, 4, 7.
    const cut = restrictToWindow(profile, 1_004_000, 1_007_000);
    expect(cut.samples).toEqual([3, 2, 4, 7]);
    expect(cut.startTime).toBe(1_004_000);
    expect(cut.endTime).toBe(1_007_000);
    expect(selfTimes(cut).reduce((sum, t) => sum + t.ms, 0)).toBeCloseTo(3);
    expect(restrictToWindow(profile, 0, 1).samples).toEqual([]);
  });
});
