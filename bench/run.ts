/**
 * `npm run bench`: what the system as `npm start` runs it serves, on this machine, in one table.
 *
 * What runs: the system exactly as `npm start` starts it (startSystem: dist/ compiled by the same
 * build, every service its own `node` process, DynamoDB Local on disk, here in a fresh temporary
 * folder, and the three provider simulators), on ports shifted by --port-offset (22 000 by default, so
 * it runs beside `npm start` and the system tests). The simulators answer every API call
 * --latency ms late (their fault injection, `POST /__admin/faults {latencyMs}`). The load comes from
 * autocannon in a process of its own (bench/load-worker.mjs); this process only orchestrates. Only
 * this orchestrator runs under tsx; everything measured runs compiled on plain `node`.
 *
 * The rows:
 *   (a) cold availability  dental-checkup across the demo providers (Klinikbokning's two clinics and
 *                          the FHIR server's one), every request a window no request asked before
 *                          (the dates move on, weekdays only), so no cache can answer it
 *   (b) warm availability  the same query again and again (what a cache, once there, answers)
 *   (c) holds              POST /v1/reservations, each request a distinct free Klinikbokning slot
 *                          (dental-hygiene, found before timing); then a contention row sends every
 *                          slot of another set from several connections at once: each slot must be
 *                          held at most once (201 once, 409 for the others)
 *   (d) bare Fastify       one route answering a small JSON body in a process of its own: the ceiling
 *                          of one Node process here
 *   (e) simulator direct   one Klinikbokning timeslots call straight to the simulator: the provider's
 *                          latency as the platform sees it
 *   How cost grows: (a) and (b) for 1, 5, 20 and 50 provider instances, and for 1-, 7- and 30-day
 *   windows. The instances are registered at run time through the admin API, as an operator onboards
 *   a chain (README, "Onboard a clinic chain"): bench-kb-01 … bench-kb-50, all Klinikbokning
 *   instances at the one Klinikbokning simulator, registered and synced up front, each mapped when
 *   its row needs it: its Odenplan clinic becomes a Vården clinic of its own and its check-up the
 *   bench's own treatment, `bench-checkup`, which the bench adds to the demo catalog it seeds
 *   (BP_SEED_CATALOG). A search for `bench-checkup` therefore asks exactly the N mapped instances,
 *   one provider call each, and nothing else.
 *   Telemetry: (b) again on a system whose every service exports its traces (and metrics) over
 *   OTLP http/protobuf, the production default, to a sink in this process, sampling everything,
 *   and once more sampling 10 % (OTEL_TRACES_SAMPLER=parentbased_traceidratio); the main system
 *   exports nothing, as `npm start` without --traces.
 *
 *   (a) is also run one search at a time (nothing queues for the cores), beside the FHIR server's own
 *   answer time for one search as its adapter makes it (two calls in sequence, the slowest demo
 *   provider): the difference is the platform's own overhead on the path.
 *
 * Also printed: the ratios (b)/(d) and (a) p50 minus the slowest provider's, the targets of issue 13
 * with each figure's ratio to its target, the time until startSystem is ready (dist/ already built),
 * and each process's memory (children included: DynamoDB Local's JVM) idle, as PSS (what the
 * processes hold together: the node binary's pages, shared by every Node process, counted once) and
 * as RSS, and its RSS peak under load. Nothing fails on a figure: the machine is shared and noisy.
 *
 * The API's per-client rate limits (BP_RATE_LIMITS) are raised for the run, and the output says so.
 *
 *   npm run bench                              the full run (about 6–8 minutes here)
 *   npm run bench -- --quick                   shorter loads, fewer rows' requests (about 3 minutes)
 *   npm run bench -- --profile api             one process run with --cpu-prof under warm availability;
 *                                              prints its top self-time functions (also provider-access,
 *                                              booking-manager, any name in topology.json)
 *   npm run bench -- --help                    every option
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type BookingClient, createBookingClient } from "@booking-platform/client";
import { buildDist } from "../scripts/build.mjs";
import { type RunningSystem, startSystem } from "../src/host/system-runner.js";
import { type CpuProfile, inclusiveShare, restrictToWindow, selfTimes, selfTimesByGroup } from "./lib/cpuprofile.js";
import { type LoadItem, type LoadResult, type LoadSpec, runLoad } from "./lib/load.js";
import { formatNumber, formatRatio, formatTable, mib, ratioToTarget, summarize, treeSum } from "./lib/stats.js";
import {
  addDays,
  collectSlots,
  cpuBetween,
  cpuSeconds,
  mapBenchInstance,
  proportionalMemory,
  registerBenchInstances,
  sampleMemory,
  setSimulatorLatency,
  snapshotProcesses,
  weekdayFrom,
} from "./lib/system.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const usage = `usage: npm run bench -- [options]

  --quick                  shorter loads (about half the time)
  --latency <ms>           every simulator answers this late (default 20)
  --connections <n>        connections for warm availability (default 50)
  --cold-connections <n>   connections for cold availability (default 10)
  --hold-connections <n>   connections for holds (default 20)
  --duration <s>           seconds per timed row (default 10, --quick 4)
  --port-offset <n>        every port of the system shifted by n (default 22000)
  --skip-scaling           leave out the 1/5/20/50-instance and 7/30-day rows
  --skip-telemetry         leave out the telemetry-on systems
  --profile <service>      only profile that process (--cpu-prof) under load and print where its time goes
  --profile-load <kind>    the load while profiling: warm (default), cold or holds`;

const { values: flags } = (() => {
  try {
    return parseArgs({
      options: {
        quick: { type: "boolean", default: false },
        latency: { type: "string", default: "20" },
        connections: { type: "string", default: "50" },
        "cold-connections": { type: "string", default: "10" },
        "hold-connections": { type: "string", default: "20" },
        duration: { type: "string" },
        "port-offset": { type: "string", default: "22000" },
        "skip-scaling": { type: "boolean", default: false },
        "skip-telemetry": { type: "boolean", default: false },
        profile: { type: "string" },
        "profile-load": { type: "string", default: "warm" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
})();
if (flags.help) {
  console.log(usage);
  process.exit(0);
}
const whole = (name: string, value: string | undefined) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number, not ${value}`);
    process.exit(2);
  }
  return n;
};
const quick = flags.quick;
const settings = {
  latencyMs: whole("latency", flags.latency),
  connections: whole("connections", flags.connections),
  coldConnections: whole("cold-connections", flags["cold-connections"]),
  holdConnections: whole("hold-connections", flags["hold-connections"]),
  seconds: whole("duration", flags.duration ?? (quick ? "4" : "10")),
  portOffset: whole("port-offset", flags["port-offset"]),
  /** A row with a fixed number of requests (cold, holds) stops after this long all the same. */
  capSeconds: quick ? 8 : 20,
  /** Requests of each cold row at most: every one a window never asked before. */
  coldRequests: {
    alone: quick ? 40 : 100,
    day1: quick ? 300 : 1000,
    day7: quick ? 80 : 200,
    day30: quick ? 30 : 60,
    instances: quick ? 150 : 400,
  },
  holds: quick ? 400 : 2000,
  contendedSlots: quick ? 50 : 100,
  attemptsPerSlot: 4,
  instanceCounts: [1, 5, 20, 50],
};
const rateLimits = {
  "availability:read": 100_000_000,
  "reservations:read": 100_000_000,
  "reservations:write": 100_000_000,
  admin: 100_000_000,
  open: 100_000_000,
};
/**
 * The circuit breaker opens after 5 consecutive faults by default, and stays open 10 s: one row's
 * overload (the bulkhead refusing, deadlines passing on a busy machine) would then fail the next
 * row's requests without calling anyone. Raised for the run, as the system tests do; the bulkhead
 * (10 calls in flight and 20 waiting per instance) and the deadlines stay as npm start has them.
 */
const providerResilience = { breakerThreshold: 1_000_000 };
const benchTreatment = "bench-checkup";
const patient = { name: "Bench Patient", personalIdentityNumber: "19900101-1239", phone: "0701234567", email: "bench@example.se" };
const targets = { warmPerSecond: 2000, warmP99Ms: 50, coldOverheadMs: 10, holdsPerSecond: 200, idleBytes: 2 ** 30, readyMs: 8000 };

interface Row {
  label: string;
  connections: number;
  result: LoadResult;
  note?: string;
  /** CPU seconds each process of the system used during the row. */
  cpu?: ReturnType<typeof cpuBetween>;
  /** The row's start and end on the monotonic clock, in microseconds (to cut a CPU profile to it). */
  window: [number, number];
}
const rows: Row[] = [];
const log = (line: string) => console.log(`[bench] ${line}`);

/** The demo catalog with the bench's own treatment added: the scaling rows map their instances to it. */
function benchCatalogFile(dir: string): string {
  const catalog = JSON.parse(readFileSync(path.join(root, "config/demo-catalog.json"), "utf8")) as { treatments: unknown[] };
  catalog.treatments.push({
    id: benchTreatment,
    name: "Bench check-up",
    description: "Offered only by the bench's own provider instances.",
    durationMinutes: 30,
    minLeadMinutes: 60,
    cancellationWindowHours: 24,
  });
  const file = path.join(dir, "bench-catalog.json");
  writeFileSync(file, JSON.stringify(catalog));
  return file;
}

let systemLogs = 0;

interface Started {
  system: RunningSystem;
  readyMs: number;
  client: BookingClient;
  headers: Record<string, string>;
  dir: string;
}

async function start(options: { env?: Record<string, string>; processEnv?: Record<string, Record<string, string>> } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bp-bench-"));
  const lines: string[] = [];
  systemLogs += 1;
  const logFile = path.join(os.tmpdir(), `bp-bench-system-${process.pid}-${systemLogs}.log`);
  log(`the system's output goes to ${logFile}`);
  const logStream = createWriteStream(logFile);
  const began = performance.now();
  const system = await startSystem({
    root,
    portOffset: settings.portOffset,
    databasePath: path.join(dir, "dynamodb"),
    env: {
      BP_RATE_LIMITS: JSON.stringify(rateLimits),
      BP_PROVIDER_RESILIENCE: JSON.stringify(providerResilience),
      BP_SEED_CATALOG: benchCatalogFile(dir),
      BP_PATIENT_DATA_KEY_FILE: path.join(dir, "patient-data.key"),
      ...options.env,
    },
    processEnv: options.processEnv,
    output: (service, line) => {
      logStream.write(`${service} | ${line}\n`);
      lines.push(`${service} | ${line}`);
      if (lines.length > 200) lines.shift();
    },
    onUnexpectedExit: (service, code, signal) => {
      console.error(
        `[bench] ${service} stopped unexpectedly (${code ?? signal}); its last lines:\n${lines
          .filter((l) => l.startsWith(service))
          .slice(-20)
          .join("\n")}`,
      );
    },
  }).catch((error: Error) => {
    throw new Error(`${error.message}\n--- output ---\n${lines.slice(-40).join("\n")}`);
  });
  const readyMs = performance.now() - began;
  measuredPids = system.pids();
  const headers = { authorization: `Bearer ${system.developmentApiKey}` };
  return { system, readyMs, client: createBookingClient({ baseUrl: system.apiUrl, headers }), headers, dir } satisfies Started;
}

async function stop(started: Started) {
  await started.system.stop();
  rmSync(started.dir, { recursive: true, force: true });
}

/** The provider simulators of the system, by name. */
const simulators = (system: RunningSystem) => Object.entries(system.urls).filter(([name]) => name.endsWith("-simulator"));
const simulatorUrls = (system: RunningSystem) => simulators(system).map(([, url]) => url);

/**
 * The FHIR server's answer time for one search as the FHIR adapter makes it (find-schedules.ts, then
 * slot-claims.ts), straight from this process, one at a time: `count` searches of days never asked.
 */
async function fhirSearchDirect(url: string, count: number, cursor: { next: string }): Promise<LoadResult> {
  const auth = { authorization: "Bearer demo-token" };
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const began = performance.now();
  const beganMicros = micros();
  for (const { from: day } of coldDays({ ...cursor }, count, 1)) {
    const start = performance.now();
    const schedules = await fetch(`${url}/Schedule?actor=Location/loc-uppsala&service-type=CHK&_include=Schedule:actor&_count=100`, {
      headers: auth,
    });
    const bundle = (await schedules.json()) as { entry?: Array<{ resource: { resourceType: string; id: string } }> };
    const ids = (bundle.entry ?? []).filter((e) => e.resource.resourceType === "Schedule").map((e) => `Schedule/${e.resource.id}`);
    const slots = await fetch(
      `${url}/Slot?schedule=${ids.join(",")}&start=ge${day}T00:00:00Z&start=lt${day}T23:59:59Z&status=free&_count=100`,
      { headers: auth },
    );
    await slots.arrayBuffer();
    latencies.push(performance.now() - start);
    for (const status of [schedules.status, slots.status]) statuses[status] = (statuses[status] ?? 0) + 1;
  }
  const seconds = (performance.now() - began) / 1000;
  const errors = Object.entries(statuses)
    .filter(([status]) => !status.startsWith("2"))
    .reduce((sum, [, n]) => sum + n, 0);
  const result = {
    ...summarize(latencies),
    requests: count,
    seconds,
    perSecond: count / seconds,
    statuses,
    problems: {},
    errors,
    partial: 0,
  };
  rows.push({
    label: "(e) simulator direct (FHIR: Schedule, then Slot)",
    connections: 1,
    result,
    note: "one search as the adapter makes it",
    window: [beganMicros, micros()],
  });
  log(`(e) simulator direct (FHIR): p50 ${formatNumber(result.p50)} ms for its two calls, ${JSON.stringify(statuses)}`);
  return result;
}

/** What each simulator was asked since its counter was reset, per search: "klinikbokning 2.0, fhir 1.0 (…)". */
async function providerCallsPer(system: RunningSystem, searches: number): Promise<string> {
  const parts: string[] = [];
  for (const [name, url] of simulators(system)) {
    const calls = (await (await fetch(`${url}/__admin/calls`)).json()) as Record<string, number>;
    const total = Object.values(calls).reduce((sum, n) => sum + n, 0);
    if (total > 0) parts.push(`${name.replace(/-simulator$/, "")} ${(total / Math.max(1, searches)).toFixed(1)}`);
  }
  return parts.join(", ") || "none";
}

const availabilityPath = (treatment: string, from: string, to: string) =>
  `/v1/availability?treatment=${treatment}&from=${from}&to=${to}&pageSize=20`;

/** Windows never asked before: each starts where the previous one ended (1-day windows on weekdays only). */
function coldDays(cursor: { next: string }, count: number, days: number): Array<{ from: string; to: string }> {
  const windows: Array<{ from: string; to: string }> = [];
  for (let i = 0; i < count; i++) {
    const from = days === 1 ? weekdayFrom(0, new Date(`${cursor.next}T00:00:00Z`)) : cursor.next;
    const to = addDays(from, days - 1);
    windows.push({ from, to });
    cursor.next = addDays(to, 1);
  }
  return windows;
}

/** coldDays as availability searches of a treatment. */
const coldWindows = (cursor: { next: string }, count: number, days: number, treatment: string): LoadItem[] =>
  coldDays(cursor, count, days).map(({ from, to }) => ({ path: availabilityPath(treatment, from, to) }));

/** The processes of the system under test, whose CPU time each row counts. */
let measuredPids: Record<string, number> = {};
const micros = () => Number(process.hrtime.bigint() / 1000n);

async function measure(label: string, spec: LoadSpec, note?: string): Promise<LoadResult> {
  log(`${label}: ${spec.amount ? `${spec.amount} requests` : `${spec.durationSeconds} s`} over ${spec.connections} connections…`);
  const cpuBefore = cpuSeconds(measuredPids);
  const began = micros();
  const result = await runLoad(spec);
  const window: [number, number] = [began, micros()];
  rows.push({ label, connections: spec.connections, result, note, cpu: cpuBetween(cpuBefore, cpuSeconds(measuredPids)), window });
  log(
    `  ${formatNumber(result.perSecond)} req/s, p50 ${formatNumber(result.p50)} ms, p99 ${formatNumber(result.p99)} ms, errors ${result.errors}, partial ${result.partial}  ${JSON.stringify(result.statuses)}${Object.keys(result.problems).length ? ` ${JSON.stringify(result.problems)}` : ""}`,
  );
  return result;
}

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  return `${os.availableParallelism()} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB memory, Node ${process.versions.node}, ${os.type()} ${os.release()}; ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** A local OTLP endpoint that takes any export (protobuf or JSON) and counts it: the bench's stand-in for a collector. */
async function startOtlpSink() {
  let exports = 0;
  let bytes = 0;
  const server = http.createServer((req, res) => {
    req.on("data", (chunk: Buffer) => (bytes += chunk.length));
    req.on("end", () => {
      if (req.url === "/v1/traces") exports++;
      res.writeHead(200, { "content-type": req.headers["content-type"] ?? "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(4318 + settings.portOffset, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${4318 + settings.portOffset}`,
    counts: () => ({ exports, bytes }),
    reset: () => {
      exports = 0;
      bytes = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function startBareFastify(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(root, "bench/bare-fastify.mjs"), String(port)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`bare Fastify exited with ${code}`)));
    child.stdout!.once("data", () => resolve());
  });
  return child;
}

const warmQuery = () => availabilityPath("dental-checkup", weekdayFrom(14), weekdayFrom(14));

async function warmUp(started: Started) {
  await runLoad({
    url: started.system.apiUrl,
    connections: 10,
    durationSeconds: quick ? 2 : 3,
    headers: started.headers,
    items: [{ path: warmQuery() }],
  });
}

/** The main system: every row but the telemetry ones. */
async function mainRun() {
  log(`starting the system as npm start does (ports +${settings.portOffset}, DynamoDB Local on disk in a temporary folder)…`);
  const started = await start();
  const { system, client, headers } = started;
  log(`ready after ${(started.readyMs / 1000).toFixed(1)} s`);
  // Settled: the sync job's first run and the seeding are over.
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const snapshot = snapshotProcesses();
  const idle = treeSum(snapshot, system.pids());
  const idleProportional = proportionalMemory(system.pids(), snapshot);
  log(
    `idle resident memory: ${mib(idleProportional.total).toFixed(0)} MiB in all (PSS; RSS summed over processes ${mib(idle.total).toFixed(0)} MiB)`,
  );

  const bare = await startBareFastify(8099 + settings.portOffset);
  try {
    // Slots to hold, found before the latency is set and before timing: far out, so no other row touches them.
    log("finding free slots to hold…");
    const holdSlots = await collectSlots(client, "dental-hygiene", weekdayFrom(3000), settings.holds + settings.contendedSlots);
    const contended = holdSlots.splice(settings.holds);
    const instanceIds = Array.from(
      { length: Math.max(...settings.instanceCounts) },
      (_, i) => `bench-kb-${String(i + 1).padStart(2, "0")}`,
    );
    if (!flags["skip-scaling"]) {
      log(`registering and syncing ${instanceIds.length} Klinikbokning instances through the admin API…`);
      const began = performance.now();
      await registerBenchInstances(client, system.urls["klinikbokning-simulator"]!, instanceIds);
      log(`  done in ${((performance.now() - began) / 1000).toFixed(1)} s`);
    }

    await setSimulatorLatency(simulatorUrls(system), settings.latencyMs);
    log(`every simulator now answers ${settings.latencyMs} ms late`);
    await warmUp(started);

    const memory = sampleMemory(system.pids());
    const api = system.apiUrl;
    const timed = { durationSeconds: settings.seconds };
    const cursor = { next: weekdayFrom(60) };

    const cold = await measure("(a) cold availability, demo providers, 1 day", {
      url: api,
      connections: settings.coldConnections,
      amount: settings.coldRequests.day1,
      maxSeconds: settings.capSeconds,
      headers,
      countPartial: true,
      items: coldWindows(cursor, settings.coldRequests.day1, 1, "dental-checkup"),
    });
    // The same cold search one at a time: nothing queues for the two cores, so its p50 minus the
    // provider's latency is the platform's own overhead on the path (the issue's cold target). The
    // simulators count the calls they get, to say how many provider round trips a search makes.
    await Promise.all(simulatorUrls(system).map((url) => fetch(`${url}/__admin/calls`, { method: "DELETE" })));
    const alone = await measure(
      "(a) cold availability, one at a time, 1 day",
      {
        url: api,
        connections: 1,
        amount: settings.coldRequests.alone,
        maxSeconds: settings.capSeconds,
        headers,
        countPartial: true,
        items: coldWindows(cursor, settings.coldRequests.alone, 1, "dental-checkup"),
      },
      "one at a time",
    );
    const callsPerSearch = await providerCallsPer(system, alone.requests);
    rows.at(-1)!.note = `one at a time; provider calls per search: ${callsPerSearch}`;
    // The slowest demo provider: the FHIR adapter asks the Schedules, then their Slots (two calls in sequence).
    const fhirDirect = await fhirSearchDirect(system.urls["fhir-simulator"]!, settings.coldRequests.alone, cursor);
    const warm = await measure("(b) warm availability, demo providers, 1 day", {
      url: api,
      connections: settings.connections,
      ...timed,
      headers,
      countPartial: true,
      items: [{ path: warmQuery() }],
    });
    const bareResult = await measure("(d) bare Fastify route", {
      url: `http://127.0.0.1:${8099 + settings.portOffset}`,
      connections: settings.connections,
      ...timed,
      items: [{ path: "/hello" }],
    });
    const day = weekdayFrom(14);
    const direct = await measure("(e) simulator direct (Klinikbokning)", {
      url: system.urls["klinikbokning-simulator"]!,
      connections: settings.coldConnections,
      ...timed,
      headers: { "x-api-key": "demo-key" },
      items: [{ path: `/api/v2/clinics/KB-STH-ODEN/timeslots?serviceCode=UND30&fromDate=${day}&toDate=${day}` }],
    });

    const holds = await measure(
      "(c) holds, distinct slots",
      {
        url: api,
        connections: settings.holdConnections,
        amount: holdSlots.length,
        maxSeconds: settings.capSeconds,
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        idempotencyKeyPrefix: `bench-hold-${Date.now()}`,
        countPerItem: true,
        items: holdSlots.map((slot) => ({
          path: "/v1/reservations",
          key: slot.slotId,
          body: JSON.stringify({ slotId: slot.slotId, treatmentId: slot.treatmentId, patient }),
        })),
      },
      "each slot once",
    );
    const contention = await measure(
      `(c) holds, ${settings.attemptsPerSlot} at once per slot`,
      {
        url: api,
        connections: settings.holdConnections,
        amount: contended.length * settings.attemptsPerSlot,
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        idempotencyKeyPrefix: `bench-contend-${Date.now()}`,
        countPerItem: true,
        expectedStatuses: [409],
        items: contended.flatMap((slot) =>
          Array.from({ length: settings.attemptsPerSlot }, () => ({
            path: "/v1/reservations",
            key: slot.slotId,
            body: JSON.stringify({ slotId: slot.slotId, treatmentId: slot.treatmentId, patient }),
          })),
        ),
      },
      `${contended.length} slots; 409s expected, not errors`,
    );
    if (!flags["skip-scaling"]) {
      const scaled = { seconds: Math.max(3, Math.round(settings.seconds / 2)) };
      for (const days of [7, 30]) {
        await measure(`(a) cold availability, demo providers, ${days} days`, {
          url: api,
          connections: settings.coldConnections,
          amount: days === 7 ? settings.coldRequests.day7 : settings.coldRequests.day30,
          maxSeconds: scaled.seconds * 2,
          headers,
          countPartial: true,
          items: coldWindows(cursor, days === 7 ? settings.coldRequests.day7 : settings.coldRequests.day30, days, "dental-checkup"),
        });
        await measure(`(b) warm availability, demo providers, ${days} days`, {
          url: api,
          connections: settings.connections,
          durationSeconds: scaled.seconds,
          headers,
          countPartial: true,
          items: [{ path: availabilityPath("dental-checkup", weekdayFrom(14), addDays(weekdayFrom(14), days - 1)) }],
        });
      }
      // The instances' own cursor: none of them was asked about these windows before.
      const instanceCursor = { next: weekdayFrom(60) };
      let mapped = 0;
      for (const count of settings.instanceCounts) {
        for (; mapped < count; mapped++) await mapBenchInstance(client, instanceIds[mapped]!, benchTreatment);
        await measure(`(a) cold availability, ${count} instance${count > 1 ? "s" : ""}, 1 day`, {
          url: api,
          connections: settings.coldConnections,
          amount: settings.coldRequests.instances,
          maxSeconds: scaled.seconds * 2,
          headers,
          countPartial: true,
          items: coldWindows(instanceCursor, settings.coldRequests.instances, 1, benchTreatment),
        });
        await measure(`(b) warm availability, ${count} instance${count > 1 ? "s" : ""}, 1 day`, {
          url: api,
          connections: settings.connections,
          durationSeconds: scaled.seconds,
          headers,
          countPartial: true,
          items: [{ path: availabilityPath(benchTreatment, weekdayFrom(14), weekdayFrom(14)) }],
        });
      }
    }
    const underLoad = memory.stop();
    return {
      readyMs: started.readyMs,
      idle,
      idleProportional,
      underLoad,
      cold,
      alone,
      fhirDirect,
      warm,
      holds,
      contention,
      bareResult,
      direct,
      started,
    };
  } finally {
    bare.kill("SIGTERM");
  }
}

/** Warm availability on a system that exports its telemetry (all of it, or a sampled share). */
async function telemetryRun(label: string, env: Record<string, string>) {
  const sink = await startOtlpSink();
  try {
    log(`starting the system again, telemetry ${label}…`);
    const started = await start({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf", ...env },
    });
    try {
      await setSimulatorLatency(simulatorUrls(started.system), settings.latencyMs);
      await warmUp(started);
      sink.reset();
      const result = await measure(`(b) warm availability, telemetry ${label}`, {
        url: started.system.apiUrl,
        connections: settings.connections,
        durationSeconds: settings.seconds,
        headers: started.headers,
        countPartial: true,
        items: [{ path: warmQuery() }],
      });
      // The last batches leave within the exporters' delay (500 ms).
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const { exports, bytes } = sink.counts();
      rows[rows.length - 1]!.note = `${exports} exports, ${mib(bytes).toFixed(1)} MiB`;
      return result;
    } finally {
      await stop(started);
    }
  } finally {
    await sink.close();
  }
}

function printTable() {
  const table = formatTable(
    [
      { header: "row", align: "left" },
      { header: "conn" },
      { header: "requests" },
      { header: "req/s" },
      { header: "p50 ms" },
      { header: "p90 ms" },
      { header: "p99 ms" },
      { header: "errors" },
      { header: "partial" },
      { header: "note", align: "left" },
    ],
    rows.map(({ label, connections, result, note }) => [
      label,
      String(connections),
      String(result.requests),
      formatNumber(result.perSecond),
      formatNumber(result.p50),
      formatNumber(result.p90),
      formatNumber(result.p99),
      String(result.errors),
      String(result.partial),
      note ?? "",
    ]),
  );
  console.log(`\n${table}`);
}

/** "(b) warm availability, telemetry on (10% sampled)" → "(b) telemetry on (10% sampled)", "(a) cold availability, …" → "(a) cold". */
const shortLabel = (label: string) => {
  const telemetry = /telemetry .*$/.exec(label)?.[0];
  return telemetry ? `${label.slice(0, 3)} ${telemetry}` : `${label.slice(0, 3)} ${label.slice(4).split(/[ ,]/)[0]}`;
};

/** CPU milliseconds each process spent per request during a few rows: where a request's time goes, process by process. */
function printCpuPerRequest(shown: Row[]) {
  const names = Object.keys(shown[0]?.cpu?.byName ?? {});
  const perRequest = (row: Row, seconds: number) => formatNumber((seconds * 1000) / Math.max(1, row.result.requests), 2);
  console.log("\nCPU time per request (ms, each process with its children; from /proc, during the row)");
  console.log(
    formatTable(
      [{ header: "process", align: "left" }, ...shown.map((row) => ({ header: shortLabel(row.label) }))],
      [
        ...names.map((name) => [name, ...shown.map((row) => perRequest(row, row.cpu!.byName[name] ?? 0))]),
        ["all together", ...shown.map((row) => perRequest(row, row.cpu!.total))],
      ],
    ),
  );
}

async function profileRun(service: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bp-bench-profile-"));
  log(`profiling ${service} (--cpu-prof) under ${flags["profile-load"]} availability…`);
  const started = await start({ processEnv: { [service]: { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}` } } });
  let result: LoadResult;
  try {
    await setSimulatorLatency(simulatorUrls(started.system), settings.latencyMs);
    await warmUp(started);
    const load = flags["profile-load"];
    if (load === "holds") {
      const slots = await collectSlots(started.client, "dental-hygiene", weekdayFrom(3000), settings.holds);
      result = await measure("(c) holds while profiling", {
        url: started.system.apiUrl,
        connections: settings.holdConnections,
        amount: slots.length,
        maxSeconds: settings.capSeconds,
        method: "POST",
        headers: { ...started.headers, "content-type": "application/json" },
        idempotencyKeyPrefix: `bench-profile-${Date.now()}`,
        items: slots.map((slot) => ({
          path: "/v1/reservations",
          body: JSON.stringify({ slotId: slot.slotId, treatmentId: slot.treatmentId, patient }),
        })),
      });
    } else {
      result = await measure(`(${load === "cold" ? "a" : "b"}) ${load} availability while profiling`, {
        url: started.system.apiUrl,
        connections: load === "cold" ? settings.coldConnections : settings.connections,
        ...(load === "cold"
          ? { amount: settings.coldRequests.day1, maxSeconds: settings.capSeconds }
          : { durationSeconds: settings.seconds }),
        headers: started.headers,
        countPartial: true,
        items:
          load === "cold"
            ? coldWindows({ next: weekdayFrom(60) }, settings.coldRequests.day1, 1, "dental-checkup")
            : [{ path: warmQuery() }],
      });
    }
  } finally {
    // The profile is written when the process exits.
    await stop(started);
  }
  const file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"));
  if (!file) throw new Error(`${service} wrote no .cpuprofile into ${dir}`);
  const whole = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as CpuProfile;
  const [from, to] = rows[rows.length - 1]!.window;
  const profile = restrictToWindow(whole, from, to);
  if (!profile.samples?.length) throw new Error(`the profile of ${service} has no samples during the load: are the clocks the same?`);
  const times = selfTimes(profile);
  const busyMs = times.filter((t) => t.name !== "(idle)").reduce((sum, t) => sum + t.ms, 0);
  const idleMs = times.find((t) => t.name === "(idle)")?.ms ?? 0;
  console.log(
    `\n${service}, during the load only (${formatNumber(result.seconds)} s at ${formatNumber(result.perSecond)} req/s): ${formatNumber(busyMs / 1000)} s busy, ${formatNumber(idleMs / 1000)} s idle`,
  );
  console.log("\ntop self time (share of busy samples):");
  console.log(
    formatTable(
      [{ header: "share" }, { header: "ms" }, { header: "function", align: "left" }, { header: "package", align: "left" }],
      times
        .filter((t) => t.name !== "(idle)")
        .slice(0, 25)
        .map((t) => [`${(t.share * 100).toFixed(1)}%`, formatNumber(t.ms, 0), t.name, t.group]),
    ),
  );
  console.log("\nself time by package:");
  console.log(
    formatTable(
      [{ header: "share" }, { header: "package", align: "left" }],
      selfTimesByGroup(profile)
        .slice(0, 20)
        .map((g) => [`${(g.share * 100).toFixed(1)}%`, g.group]),
    ),
  );
  const under = (test: (url: string, fn: string) => boolean) => inclusiveShare(profile, (frame) => test(frame.url, frame.functionName));
  const categories: Array<[string, (url: string, fn: string) => boolean]> = [
    ["DynamoDB (AWS SDK)", (url) => url.includes("/@aws-sdk/") || url.includes("/@smithy/")],
    ["OpenTelemetry (spans, context, export)", (url) => url.includes("/@opentelemetry/") || url.includes("/@fastify/otel/")],
    ["protobuf encode/decode (@bufbuild/protobuf)", (url) => url.includes("/@bufbuild/protobuf/")],
    ["ConnectRPC (gRPC client and server)", (url) => url.includes("/@connectrpc/")],
    ["JSON.stringify / JSON.parse", (_url, fn) => fn === "stringify" || fn === "parse"],
    [
      "Fastify (routing, hooks, serialisation)",
      (url) => url.includes("/fastify/") || url.includes("/fast-json-stringify/") || url.includes("/@fastify/"),
    ],
    ["pino (logging)", (url) => url.includes("/pino/")],
    ["http2 (node:internal/http2)", (url) => url.includes("internal/http2")],
    ["garbage collector", (_url, fn) => fn === "(garbage collector)"],
  ];
  console.log("\ninclusive time (share of busy samples with such a frame on the stack):");
  console.log(
    formatTable(
      [{ header: "share" }, { header: "what", align: "left" }],
      categories.map(([name, test]) => [`${(under(test) * 100).toFixed(1)}%`, name]),
    ),
  );
  console.log(`\nprofile kept: ${path.join(dir, file)}`);
}

async function main() {
  log(`machine: ${machine()}`);
  await buildDist({ root, log: (line) => log(line) });
  log(`rate limits raised for the run: BP_RATE_LIMITS=${JSON.stringify(rateLimits)} (every client and scope, this system only)`);
  log(
    `circuit breakers kept closed for the run: BP_PROVIDER_RESILIENCE=${JSON.stringify(providerResilience)} (bulkheads and deadlines as npm start has them)`,
  );
  if (flags.profile) {
    await profileRun(flags.profile);
    return;
  }
  const began = performance.now();
  const main = await mainRun();
  await stop(main.started);
  if (!flags["skip-telemetry"]) {
    await telemetryRun("on (all sampled)", { OTEL_TRACES_SAMPLER: "parentbased_always_on" });
    await telemetryRun("on (10% sampled)", { OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.1" });
  }

  console.log(`\nBenchmark of the system as npm start runs it: ${machine()}`);
  console.log(
    `Simulators ${settings.latencyMs} ms late on every call; warm ${settings.connections} connections, cold ${settings.coldConnections}, holds ${settings.holdConnections}; ${settings.seconds} s per timed row; rate limits raised (BP_RATE_LIMITS), circuit breakers kept closed (BP_PROVIDER_RESILIENCE); telemetry off unless the row says so.`,
  );
  printTable();

  // The slowest provider's latency, as measured in the same run: Klinikbokning answers a search in one call, FHIR in two.
  const slowestProvider = Math.max(main.direct.p50, main.fhirDirect.p50);
  const overhead = main.alone.p50 - slowestProvider;
  const overheadOverLatency = main.alone.p50 - settings.latencyMs;
  const overheadQueued = main.cold.p50 - slowestProvider;
  const doubleHeld =
    (main.holds.okPerItem ?? []).filter((n) => n > 1).length + (main.contention.okPerItem ?? []).filter((n) => n > 1).length;
  const contendedHeld = (main.contention.okPerItem ?? []).length;
  console.log("\nRatios");
  console.log(`  (b)/(d) warm availability / bare Fastify req/s     ${formatRatio(main.warm.perSecond / main.bareResult.perSecond)}`);
  console.log(
    `  (a) one at a time: p50 − the slowest provider's (e) p50 (${formatNumber(slowestProvider)} ms)   ${formatNumber(overhead)} ms`,
  );
  console.log(
    `  (a) one at a time: p50 − the simulators' set latency (${settings.latencyMs} ms)   ${formatNumber(overheadOverLatency)} ms`,
  );
  console.log(
    `  (a) ${settings.coldConnections} connections: p50 − the slowest provider's (e) p50   ${formatNumber(overheadQueued)} ms (queueing for the cores included)`,
  );

  const target = (name: string, figure: string, ratio: number) =>
    console.log(`  ${name.padEnd(52)}${figure.padStart(14)}  ratio ${formatRatio(ratio)}`);
  console.log("\nTargets (ratio > 1: better than the target; nothing fails on them)");
  target(
    "warm availability ≥ 2,000 req/s at 50 connections",
    `${formatNumber(main.warm.perSecond)} req/s`,
    ratioToTarget(main.warm.perSecond, targets.warmPerSecond, "higher"),
  );
  target("warm availability p99 ≤ 50 ms", `${formatNumber(main.warm.p99)} ms`, ratioToTarget(main.warm.p99, targets.warmP99Ms, "lower"));
  target("warm availability 0 errors", `${main.warm.errors} (+${main.warm.partial} partial)`, main.warm.errors === 0 ? 1 : 0);
  target(
    "cold: own overhead ≤ 10 ms at p50 above the provider (one at a time)",
    `${formatNumber(overhead)} ms`,
    ratioToTarget(overhead, targets.coldOverheadMs, "lower"),
  );
  target(
    "holds ≥ 200/s",
    `${formatNumber(main.holds.perSecond)} /s`,
    ratioToTarget(main.holds.perSecond, targets.holdsPerSecond, "higher"),
  );
  target(
    "no double booking (slots held more than once)",
    `${doubleHeld} of ${(main.holds.okPerItem ?? []).length + contendedHeld}`,
    doubleHeld === 0 ? 1 : 0,
  );
  target(
    "idle: whole system ≤ 1 GiB resident (PSS)",
    `${mib(main.idleProportional.total).toFixed(0)} MiB`,
    ratioToTarget(main.idleProportional.total, targets.idleBytes, "lower"),
  );
  target(
    "ready ≤ 8 s after start (dist/ built)",
    `${(main.readyMs / 1000).toFixed(1)} s`,
    ratioToTarget(main.readyMs, targets.readyMs, "lower"),
  );
  console.log(
    `  contention: ${contendedHeld} slots, each sent ${settings.attemptsPerSlot} times at once: ${JSON.stringify(main.contention.statuses)}`,
  );

  console.log(
    "\nResident memory (MiB, children included): idle after start, as PSS (shared pages divided among the processes sharing them) and as RSS (each process's shared pages counted in full), and the RSS peak under load",
  );
  const names = Object.keys(main.idle.byName);
  console.log(
    formatTable(
      [{ header: "process", align: "left" }, { header: "idle PSS" }, { header: "idle RSS" }, { header: "RSS under load" }],
      [
        ...names.map((name) => [
          name,
          mib(main.idleProportional.byName[name] ?? 0).toFixed(0),
          mib(main.idle.byName[name]!).toFixed(0),
          mib(main.underLoad.byName[name] ?? 0).toFixed(0),
        ]),
        [
          "all together",
          mib(main.idleProportional.total).toFixed(0),
          mib(main.idle.total).toFixed(0),
          `${mib(main.underLoad.total).toFixed(0)} (peak of the sum)`,
        ],
      ],
    ),
  );
  // The first rows of (a), (b) and (c), and (b) with telemetry: what one request costs each process.
  const shown = [
    rows.find((row) => row.label.startsWith("(a)")),
    rows.find((row) => row.label.startsWith("(b)")),
    ...rows.filter((row) => row.label.includes("telemetry")),
    rows.find((row) => row.label.startsWith("(c)")),
  ].filter((row): row is Row => row?.cpu !== undefined);
  printCpuPerRequest(shown);
  console.log(`\nThe whole run took ${((performance.now() - began) / 60_000).toFixed(1)} minutes.`);
}

await main();
// The system's processes are stopped; nothing else should keep this process alive.
process.exit(0);
