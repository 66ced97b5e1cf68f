/**
 * The bench's arithmetic, kept free of I/O so that it is unit tested (stats.spec.ts): percentiles,
 * ratios to targets, the resident memory of a process tree, and the one table it prints.
 */

/** Nearest-rank percentile of values sorted ascending (p in 0..100); NaN for no values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (p <= 0) return sorted[0]!;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** p50/p90/p99/max of latencies in any order (the array is not changed). */
export function summarize(latencies: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(latencies).sort();
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

/**
 * How a figure stands to its target, > 1 meaning better than the target: measured / target where more
 * is better (requests/s), target / measured where less is better (latency, memory). NaN when it cannot
 * be said; Infinity when less is better and nothing was measured at all (0 ms overhead, 0 errors).
 */
export function ratioToTarget(measured: number, target: number, better: "higher" | "lower"): number {
  if (!Number.isFinite(measured) || !Number.isFinite(target)) return Number.NaN;
  if (better === "higher") return target === 0 ? Number.NaN : measured / target;
  if (measured <= 0) return target >= 0 ? Number.POSITIVE_INFINITY : Number.NaN;
  return target / measured;
}

/** A ratio as printed: two decimals, "∞" and "—" for the cases that have no number. */
export function formatRatio(ratio: number): string {
  if (Number.isNaN(ratio)) return "—";
  if (ratio === Number.POSITIVE_INFINITY) return "∞";
  return ratio.toFixed(2);
}

/** A number as printed in the table: "—" for NaN, no decimals from 100 on, one below. */
export function formatNumber(value: number, decimals = 1): string {
  if (!Number.isFinite(value)) return "—";
  return Math.abs(value) >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(decimals);
}

export const mib = (bytes: number) => bytes / 2 ** 20;

export interface ProcessEntry {
  pid: number;
  ppid: number;
  rssBytes: number;
  /** CPU time used so far, user and system, in clock ticks (USER_HZ, 100 a second on Linux). */
  cpuTicks: number;
}

/**
 * The proportional set size in /proc/<pid>/smaps_rollup, in bytes: the process's resident pages,
 * each page shared with other processes (the node binary, libraries) divided among them. Summed
 * over processes it is the memory they hold together; summed RSS counts every shared page once per
 * process. undefined when the text has no Pss line.
 */
export function parsePss(smapsRollup: string): number | undefined {
  const kib = /^Pss:\s+(\d+) kB$/m.exec(smapsRollup)?.[1];
  return kib === undefined ? undefined : Number(kib) * 1024;
}

/** Every process under (and including) the root pid, from a snapshot of the process table. */
export function processTree(all: ProcessEntry[], root: number): ProcessEntry[] {
  const byParent = new Map<number, ProcessEntry[]>();
  for (const entry of all) {
    const siblings = byParent.get(entry.ppid) ?? [];
    siblings.push(entry);
    byParent.set(entry.ppid, siblings);
  }
  const found: ProcessEntry[] = [];
  const seen = new Set<number>();
  const visit = (pid: number) => {
    if (seen.has(pid)) return;
    seen.add(pid);
    const self = all.find((entry) => entry.pid === pid);
    if (self) found.push(self);
    for (const child of byParent.get(pid) ?? []) visit(child.pid);
  };
  visit(root);
  return found;
}

/**
 * A figure (resident memory, CPU time) of each root's whole tree, children included, and of all of
 * them together (each pid counted once).
 */
export function treeSum(
  all: ProcessEntry[],
  roots: Record<string, number>,
  field: "rssBytes" | "cpuTicks" = "rssBytes",
): { byName: Record<string, number>; total: number } {
  const byName: Record<string, number> = {};
  const counted = new Set<number>();
  let total = 0;
  for (const [name, pid] of Object.entries(roots)) {
    const tree = processTree(all, pid);
    byName[name] = tree.reduce((sum, entry) => sum + entry[field], 0);
    for (const entry of tree) {
      if (counted.has(entry.pid)) continue;
      counted.add(entry.pid);
      total += entry[field];
    }
  }
  return { byName, total };
}

/**
 * Parses /proc/<pid>/stat ("pid (comm) state ppid … utime stime …", proc(5)) and /proc/<pid>/statm
 * (sizes in pages, the second resident) into an entry.
 */
export function parseProcStat(stat: string, statm: string, pageSize: number): ProcessEntry | undefined {
  // comm may hold spaces and parentheses: the fields after it start after the last ")".
  const close = stat.lastIndexOf(")");
  const pid = Number.parseInt(stat, 10);
  // after[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  const after = stat.slice(close + 2).split(" ");
  const ppid = Number(after[1]);
  const cpuTicks = Number(after[11]) + Number(after[12]);
  const residentPages = Number(statm.split(" ")[1]);
  if (!Number.isInteger(pid) || !Number.isInteger(ppid) || !Number.isFinite(residentPages) || !Number.isFinite(cpuTicks)) return undefined;
  return { pid, ppid, rssBytes: residentPages * pageSize, cpuTicks };
}

export interface Column {
  header: string;
  align?: "left" | "right";
}

/** A plain-text table: a header, a rule, then the rows, each column as wide as its widest cell. */
export function formatTable(columns: Column[], rows: string[][]): string {
  const widths = columns.map((column, i) => Math.max(column.header.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    columns
      .map((column, i) => {
        const cell = cells[i] ?? "";
        return column.align === "left" ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!);
      })
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.header)), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
