/**
 * Reads a V8 .cpuprofile (what `node --cpu-prof` writes): a tree of nodes, each a call frame with the
 * number of samples taken while it was on top of the stack (its self time). Kept free of I/O so it is
 * unit tested (cpuprofile.spec.ts).
 */

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number; scriptId?: string | number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  /** The node on top of the stack at each sample. */
  samples?: number[];
  /** Microseconds since the previous sample. */
  timeDeltas?: number[];
}

export interface SelfTime {
  /** What the time was spent in: "functionName file:line", or V8's own "(garbage collector)", "(program)", "(idle)". */
  name: string;
  /** The package (or "node:" for Node's own code, "app" for the project's code, "v8" for V8's pseudo frames). */
  group: string;
  samples: number;
  /** Milliseconds, from the profile's sampling interval. */
  ms: number;
  /** Share of the busy samples (all but "(idle)"). */
  share: number;
}

const pseudoFrames = new Set(["(idle)", "(program)", "(garbage collector)", "(root)"]);

/** The package a script belongs to: the folder after the last node_modules (with its scope), "node:" for Node's own, "app" otherwise. */
export function groupOf(url: string, functionName = ""): string {
  if (!url) return pseudoFrames.has(functionName) ? "v8" : "native";
  if (url.startsWith("node:")) return "node:";
  const marker = "/node_modules/";
  const at = url.lastIndexOf(marker);
  if (at < 0) return "app";
  const [first = "", second = ""] = url.slice(at + marker.length).split("/");
  return first.startsWith("@") ? `${first}/${second}` : first;
}

/** Shortens a script's URL for printing: from node_modules/ or from dist/ or src/ on, else as it is. */
export function shortUrl(url: string): string {
  const at = url.lastIndexOf("/node_modules/");
  if (at >= 0) return url.slice(at + "/node_modules/".length);
  const project = url.search(/\/(dist|src)\//);
  if (project >= 0) return url.slice(project + 1);
  return url.replace(/^file:\/\//, "");
}

/** Samples on top of the stack per node id: from `samples` where the profile has it, else each node's hitCount. */
function samplesPerNode(profile: CpuProfile): Map<number, number> {
  const counts = new Map<number, number>();
  if (profile.samples && profile.samples.length > 0) {
    for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  } else {
    for (const node of profile.nodes) if (node.hitCount) counts.set(node.id, node.hitCount);
  }
  return counts;
}

/** The mean sampling interval, in milliseconds. */
export function sampleIntervalMs(profile: CpuProfile): number {
  const total = profile.samples?.length ?? profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  return total > 0 ? (profile.endTime - profile.startTime) / 1000 / total : 0;
}

/**
 * Self time per function (several nodes of one function, reached by different paths, added up),
 * largest first. Shares are of the busy samples, so a mostly idle process still shows where its work went.
 */
export function selfTimes(profile: CpuProfile): SelfTime[] {
  const counts = samplesPerNode(profile);
  const interval = sampleIntervalMs(profile);
  const byName = new Map<string, SelfTime>();
  let busy = 0;
  for (const node of profile.nodes) {
    const samples = counts.get(node.id) ?? 0;
    if (samples === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const label = functionName || "(anonymous)";
    const name = url ? `${label} ${shortUrl(url)}:${lineNumber + 1}` : label;
    const entry = byName.get(name) ?? { name, group: groupOf(url, functionName), samples: 0, ms: 0, share: 0 };
    entry.samples += samples;
    byName.set(name, entry);
    if (functionName !== "(idle)") busy += samples;
  }
  const all = [...byName.values()];
  for (const entry of all) {
    entry.ms = entry.samples * interval;
    entry.share = busy > 0 && entry.name !== "(idle)" ? entry.samples / busy : 0;
  }
  return all.sort((a, b) => b.samples - a.samples || a.name.localeCompare(b.name));
}

/** Self time added up per group (package), largest first, shares of the busy samples. */
export function selfTimesByGroup(profile: CpuProfile): Array<{ group: string; samples: number; share: number }> {
  const groups = new Map<string, number>();
  let busy = 0;
  for (const entry of selfTimes(profile)) {
    if (entry.name === "(idle)") continue;
    busy += entry.samples;
    groups.set(entry.group, (groups.get(entry.group) ?? 0) + entry.samples);
  }
  return [...groups.entries()]
    .map(([group, samples]) => ({ group, samples, share: busy > 0 ? samples / busy : 0 }))
    .sort((a, b) => b.samples - a.samples || a.group.localeCompare(b.group));
}

/**
 * Share of the busy samples whose stack holds at least one frame the predicate picks: the inclusive
 * ("total") time of, say, everything under the AWS SDK, which self times spread over many functions.
 */
export function inclusiveShare(profile: CpuProfile, picks: (frame: CpuProfileNode["callFrame"]) => boolean): number {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const picked = new Map<number, boolean>();
  const stackPicked = (id: number): boolean => {
    const known = picked.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    const up = parent.get(id);
    const result = node !== undefined && (picks(node.callFrame) || (up !== undefined && stackPicked(up)));
    picked.set(id, result);
    return result;
  };
  let busy = 0;
  let hits = 0;
  for (const [id, samples] of samplesPerNode(profile)) {
    if (byId.get(id)?.callFrame.functionName === "(idle)") continue;
    busy += samples;
    if (stackPicked(id)) hits += samples;
  }
  return busy > 0 ? hits / busy : 0;
}

/**
 * The profile cut to the samples taken between two instants (microseconds of the monotonic clock that
 * both V8's profiler and process.hrtime read on Linux), so that a process's start-up does not count
 * as its work under load. A profile without samples is returned as it is.
 */
export function restrictToWindow(profile: CpuProfile, fromMicros: number, toMicros: number): CpuProfile {
  if (!profile.samples || !profile.timeDeltas) return profile;
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let at = profile.startTime;
  let previousKept = fromMicros;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromMicros || at > toMicros) continue;
    samples.push(profile.samples[i]!);
    timeDeltas.push(at - previousKept);
    previousKept = at;
  }
  const startTime = Math.max(profile.startTime, fromMicros);
  return { ...profile, samples, timeDeltas, startTime, endTime: Math.max(startTime, Math.min(profile.endTime, toMicros)) };
}
