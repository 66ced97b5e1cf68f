import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type LatencySummary, summarize } from "./stats.js";

const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "load-worker.mjs");

export interface LoadItem {
  path: string;
  body?: string;
  headers?: Record<string, string>;
  /** Answers are counted per key (contention: several items for one slot). */
  key?: string;
}

export interface LoadSpec {
  url: string;
  connections: number;
  /** Either a duration … */
  durationSeconds?: number;
  /** … or exactly this many requests … */
  amount?: number;
  /** … but for no longer than this. */
  maxSeconds?: number;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  items: LoadItem[];
  /** Each request gets `Idempotency-Key: <prefix>-<n>`. */
  idempotencyKeyPrefix?: string;
  /** Count 200s whose body names a provider that failed (availability). */
  countPartial?: boolean;
  /** Count the 2xx of each item's key. */
  countPerItem?: boolean;
  timeoutSeconds?: number;
  /** Statuses that are the expected outcome, not errors (409 where several ask for one slot). */
  expectedStatuses?: number[];
}

export interface LoadResult extends LatencySummary {
  requests: number;
  seconds: number;
  perSecond: number;
  statuses: Record<string, number>;
  /** The answers that were not 2xx by status and problem code ("503 provider-unavailable (circuit open)"). */
  problems: Record<string, number>;
  /** Answers that were not 2xx, and socket errors and timeouts (autocannon's errors). */
  errors: number;
  /** 2xx availability answers in which a provider failed. */
  partial: number;
  okPerItem?: number[];
}

/** Runs one load in the worker process (bench/load-worker.mjs, autocannon) and reads what it measured. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(tmpdir(), "bp-bench-load-"));
  const specFile = path.join(dir, "spec.json");
  const resultFile = path.join(dir, "result.json");
  writeFileSync(specFile, JSON.stringify(spec));
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [worker, specFile, resultFile], { stdio: ["ignore", "inherit", "inherit"] });
      child.once("error", reject);
      child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`the load worker exited with ${code}`))));
    });
    const raw = JSON.parse(readFileSync(resultFile, "utf8")) as {
      requests: number;
      seconds: number;
      latencies: number[];
      statuses: Record<string, number>;
      problems: Record<string, number>;
      errors: number;
      timeouts: number;
      partial: number;
      okPerItem?: number[];
    };
    const notOk = Object.entries(raw.statuses)
      .filter(([status]) => !status.startsWith("2") && !(spec.expectedStatuses ?? []).includes(Number(status)))
      .reduce((sum, [, count]) => sum + count, 0);
    return {
      ...summarize(raw.latencies),
      requests: raw.requests,
      seconds: raw.seconds,
      perSecond: raw.requests / raw.seconds,
      statuses: raw.statuses,
      problems: raw.problems,
      // autocannon counts a timeout among its errors already.
      errors: notOk + raw.errors,
      partial: raw.partial,
      okPerItem: raw.okPerItem,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
