/**
 * The catalog sync job: has the onboarding manager sync provider instances'
 * catalogs (what the provider lists, recorded; what it no longer lists,
 * marked inactive; the offerings derived again), and shows how it goes. It
 * only calls the manager, so it sits with the other callers in the client
 * layer, like the reconciler.
 *
 *   npm run sync -- --instance <id>     one instance, with a progress bar and a summary
 *   npm run sync -- --all               every active instance (paused and retired ones are skipped)
 *   node dist/client/sync/main.js --all the same, as AWS Batch's container command (log lines, no bar)
 *   … --schedule (or BP_SYNC_SCHEDULE=true)  every BP_SYNC_INTERVAL_MS (default an hour), as npm start runs it
 *
 * Options: --batch-size <n> items per step (default 50), --pause-ms <n> a pause after each step (to spare
 * a busy table), --port-offset <n> for a system started with one.
 *
 * Safe to interrupt (Ctrl-C, kill -9): the run is left interrupted and the next sync of the instance takes
 * it over and finishes it, each item counted once. Safe to run twice at once: the second leaves a run the
 * first holds alone. Exit code 0 when every instance synced (or was skipped), 1 otherwise.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import cliProgress from "cli-progress";
import { type CatalogSync, SyncState } from "../../contracts/v1/provider_catalog_pb.js";
import { OnboardingManagerService, type SyncProgress } from "../../managers/onboarding/v1/onboarding_manager_pb.js";
import { isProduction, loadSecrets } from "../../utilities/config/secrets.js";
import { envVarForService, serviceUrl } from "../../utilities/config/service-env.js";
import { createLogger } from "../../utilities/logging/logger.js";
import { grpcClient, grpcTransport } from "../../utilities/rpc/grpc-client.js";

const usage = `usage: npm run sync -- (--instance <id> | --all) [--batch-size <n>] [--pause-ms <n>] [--port-offset <n>]
       npm run sync -- --schedule        every BP_SYNC_INTERVAL_MS (default 3600000), --all each time`;

let values: {
  instance?: string;
  all: boolean;
  schedule: boolean;
  "batch-size"?: string;
  "pause-ms"?: string;
  "port-offset"?: string;
  help: boolean;
};
try {
  ({ values } = parseArgs({
    options: {
      instance: { type: "string" },
      all: { type: "boolean", default: false },
      schedule: { type: "boolean", default: false },
      "batch-size": { type: "string" },
      "pause-ms": { type: "string" },
      "port-offset": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  }));
} catch (error) {
  console.error(`${(error as Error).message}\n\n${usage}`);
  process.exit(2);
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}
// Under npm start the topology says so (a process there takes no arguments): BP_SYNC_SCHEDULE=true.
values.schedule ||= process.env.BP_SYNC_SCHEDULE === "true";
if (!values.schedule && !values.all === !values.instance) {
  console.error(`name one instance (--instance <id>) or --all\n\n${usage}`);
  process.exit(2);
}
const whole = (name: string, value: string | undefined) => {
  if (value === undefined) return 0;
  if (!/^\d+$/.test(value)) {
    console.error(`--${name} must be a whole number, not ${value}`);
    process.exit(2);
  }
  return Number(value);
};
const batchSize = whole("batch-size", values["batch-size"]);
const pauseMs = whole("pause-ms", values["pause-ms"]);
const portOffset = whole("port-offset", values["port-offset"]);

const logger = createLogger("catalog-sync");
await loadSecrets();
locateLocalSystem();
const manager = grpcClient(OnboardingManagerService, grpcTransport(serviceUrl("onboarding-manager")));

/**
 * From a terminal beside `npm start` nothing says where the manager is: outside production, the topology's
 * (and its local platform token) it is, shifted by --port-offset.
 */
function locateLocalSystem() {
  if (process.env[envVarForService("onboarding-manager")] || isProduction()) return;
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
  const topology = JSON.parse(readFileSync(path.join(root, "topology.json"), "utf8")) as {
    env: Record<string, string>;
    services: Array<{ name: string; port?: number }>;
  };
  const port = topology.services.find((s) => s.name === "onboarding-manager")?.port;
  process.env[envVarForService("onboarding-manager")] = `http://127.0.0.1:${(port ?? 7102) + portOffset}`;
  process.env.BP_PLATFORM_TOKEN ??= topology.env.BP_PLATFORM_TOKEN;
  console.error(
    `(no ${envVarForService("onboarding-manager")}: using npm start's onboarding manager at ${process.env[envVarForService("onboarding-manager")]})`,
  );
}

/** A terminal gets a progress bar per instance; AWS Batch and the schedule get log lines. */
const interactive = Boolean(process.stderr.isTTY) && !values.schedule;

interface Outcome {
  instanceId: string;
  sync?: CatalogSync;
  note: string;
}

async function syncOnce(all: boolean, instanceId: string, signal: AbortSignal): Promise<Outcome[]> {
  const outcomes = new Map<string, Outcome>();
  let bar: cliProgress.SingleBar | undefined;
  let barOf = "";
  const show = (progress: SyncProgress) => {
    const sync = progress.sync;
    outcomes.set(progress.instanceId, { instanceId: progress.instanceId, sync, note: progress.note });
    if (!interactive) {
      if (progress.final || progress.note)
        logger.info({ instanceId: progress.instanceId, ...summaryOf(sync), note: progress.note }, lineOf(progress));
      return;
    }
    if (!sync) {
      process.stderr.write(`${progress.instanceId}: skipped (${progress.note})\n`);
      return;
    }
    if (barOf !== progress.instanceId) {
      bar?.stop();
      bar = new cliProgress.SingleBar(
        {
          format: "{instance} |{bar}| {value}/{total} items | clinics +{newClinics} ~{changedClinics} -{goneClinics} | {state}",
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(Math.max(sync.total, 1), sync.done, payloadOf(progress.instanceId, sync));
      barOf = progress.instanceId;
    }
    bar!.setTotal(Math.max(sync.total, 1));
    bar!.update(sync.done, payloadOf(progress.instanceId, sync));
    if (progress.note) process.stderr.write(`\n${progress.instanceId}: ${progress.note}\n`);
  };
  try {
    for await (const progress of manager.runSync(
      { instanceId, all, trigger: values.schedule ? "schedule" : interactive ? "cli" : "batch", batchSize, pauseBetweenBatchesMs: pauseMs },
      { signal },
    )) {
      show(progress);
    }
  } finally {
    bar?.stop();
  }
  return [...outcomes.values()];
}

const payloadOf = (instance: string, sync: CatalogSync) => ({
  instance,
  newClinics: sync.clinics?.new ?? 0,
  changedClinics: sync.clinics?.changed ?? 0,
  goneClinics: sync.clinics?.gone ?? 0,
  state: SyncState[sync.state]?.toLowerCase() ?? "",
});

function summaryOf(sync: CatalogSync | undefined) {
  if (!sync) return {};
  return {
    syncId: sync.id,
    state: SyncState[sync.state]?.toLowerCase(),
    done: sync.done,
    total: sync.total,
    clinics: { ...sync.clinics, $typeName: undefined },
    practitioners: { ...sync.practitioners, $typeName: undefined },
    treatments: { ...sync.treatments, $typeName: undefined },
    errors: sync.errors,
  };
}

function lineOf(progress: SyncProgress): string {
  const sync = progress.sync;
  if (!sync) return `${progress.instanceId}: skipped (${progress.note})`;
  const state = SyncState[sync.state]?.toLowerCase();
  return `${progress.instanceId}: ${progress.note || state} (${sync.done}/${sync.total} items, sync ${sync.id})`;
}

function printSummary(outcomes: Outcome[], elapsedMs: number) {
  const rows = outcomes.map(({ instanceId, sync, note }) => {
    if (!sync) return [instanceId, `skipped: ${note}`, "", "", "", ""];
    const kind = (c: CatalogSync["clinics"]) => `+${c?.new ?? 0} ~${c?.changed ?? 0} -${c?.gone ?? 0} =${c?.unchanged ?? 0}`;
    const ended = sync.finishedAt ? timestampDate(sync.finishedAt).toISOString().slice(11, 19) : "";
    return [
      instanceId,
      note || SyncState[sync.state]!.toLowerCase(),
      `${sync.done}/${sync.total}`,
      kind(sync.clinics),
      kind(sync.practitioners),
      kind(sync.treatments),
      ended,
      sync.errors.at(-1) ?? "",
    ];
  });
  const header = ["instance", "outcome", "items", "clinics", "practitioners", "treatments", "ended (UTC)", "error"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => String(c ?? "").padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  console.log(`\nCatalog sync: ${outcomes.length} instances in ${(elapsedMs / 1000).toFixed(1)} s (+ new, ~ changed, - gone, = unchanged)`);
  console.log(line(header));
  for (const row of rows) console.log(line(row as string[]));
}

const succeeded = (outcomes: Outcome[]) =>
  outcomes.every((o) => !o.sync || o.sync.state === SyncState.SUCCEEDED || (o.note !== "" && o.sync.state === SyncState.RUNNING));

if (values.schedule) {
  const intervalMs = Number(process.env.BP_SYNC_INTERVAL_MS ?? 3_600_000);
  logger.info(`syncing every active provider instance's catalog every ${intervalMs / 1000} s (BP_SYNC_INTERVAL_MS)`);
  let timer: NodeJS.Timeout;
  let running: AbortController | undefined;
  const tick = async () => {
    running = new AbortController();
    try {
      const outcomes = await syncOnce(true, "", running.signal);
      logger.info({ instances: outcomes.length, ok: succeeded(outcomes) }, `scheduled catalog sync done: ${outcomes.length} instances`);
    } catch (error) {
      // The manager may be restarting: say so and try at the next tick.
      logger.warn({ err: error }, `scheduled catalog sync failed: ${(error as Error).message}`);
    }
    running = undefined;
    timer = setTimeout(tick, intervalMs);
  };
  timer = setTimeout(tick, intervalMs);
  const stop = () => {
    clearTimeout(timer);
    // Whatever runs is left interrupted, for the next sync to take over.
    running?.abort();
    setTimeout(() => process.exit(0), 200);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
} else {
  const controller = new AbortController();
  process.once("SIGINT", () => {
    process.stderr.write("\ninterrupted: the run is left for the next sync of the instance to take over and finish\n");
    controller.abort();
  });
  process.once("SIGTERM", () => controller.abort());
  const started = Date.now();
  try {
    const outcomes = await syncOnce(values.all, values.instance ?? "", controller.signal);
    printSummary(outcomes, Date.now() - started);
    process.exit(succeeded(outcomes) ? 0 : 1);
  } catch (error) {
    if (controller.signal.aborted) process.exit(130);
    console.error(`catalog sync failed: ${(error as Error).message}`);
    process.exit(1);
  }
}
