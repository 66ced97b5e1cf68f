import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { ensurePatientDataKeyFile } from "../access/booking/private/patient-data-keys.js";
import { providerUrlVariable } from "../access/provider/provider-instances.js";
import { defaultPatientDataKeyFile } from "../utilities/config/secrets.js";
import { envVarForService } from "../utilities/config/service-env.js";
import { createDynamoDbClients } from "../utilities/dynamodb/dynamodb-config.js";
import { startDynamoDbLocal } from "../utilities/dynamodb/dynamodb-local.js";
import { ensureTable } from "../utilities/dynamodb/table-design.js";
import { createApiKeyStore } from "../utilities/security/api-key-store.js";
import { scopes } from "../utilities/security/api-keys.js";
import { loadTopology, type ProcessSpec, startOrder, type Topology } from "./topology.js";

export interface StartSystemOptions {
  /** Repository root: entries and config paths in the topology are relative to it. */
  root: string;
  topologyFile?: string;
  /** Added to every port in the topology, so that tests can run beside `npm start`. */
  portOffset?: number;
  /** Keep DynamoDB Local in memory instead of on disk under the topology's path. */
  inMemoryDatabase?: boolean;
  /** Keep DynamoDB Local's files here instead of the topology's path. */
  databasePath?: string;
  /** Extra environment for every process (tests use it to shorten deadlines). */
  env?: Record<string, string>;
  /** Extra environment for one process by name, after everything else (the bench profiles one with NODE_OPTIONS=--cpu-prof). */
  processEnv?: Record<string, Record<string, string>>;
  /** Send every service's traces and metrics to this OTLP/HTTP JSON endpoint. */
  otlpEndpoint?: string;
  /** Where each process's output lines go, prefixed with its name. */
  output?: (service: string, line: string) => void;
  /** Called when a process dies after the system was up. */
  onUnexpectedExit?: (service: string, code: number | null, signal: NodeJS.Signals | null) => void;
}

export interface RunningSystem {
  apiUrl: string;
  /** The key with every scope that `npm start` makes sure exists (BP_DEV_API_KEY), unless none is configured. */
  developmentApiKey: string | undefined;
  dynamodbEndpoint: string;
  urls: Record<string, string>;
  /** Sends a signal to one process, as a crash or an operator would. */
  kill(service: string, signal?: NodeJS.Signals): Promise<void>;
  /** The process ids of every running process and of DynamoDB Local ("dynamodb-local"). */
  pids(): Record<string, number>;
  /** Starts a process again that was killed, with the same settings. */
  restart(service: string): Promise<void>;
  stop(): Promise<void>;
}

export class ServiceStartError extends Error {
  constructor(
    readonly service: string,
    reason: string,
  ) {
    super(`${service} could not start: ${reason}`);
  }
}

/**
 * What every process of the system is given beyond the host's own environment: the topology's
 * settings, where DynamoDB is, and where every other process listens (`BP_URL_<NAME>`, and
 * `BP_PROVIDER_URL_<INSTANCE>` for the provider instances a simulator stands in for).
 * docker-compose.yml gives its containers the same (test/deploy checks it against this).
 */
export function systemEnvironment(
  topology: Topology,
  where: { urls: Record<string, string>; dynamodbEndpoint: string; hostEnv?: NodeJS.ProcessEnv },
): Record<string, string> {
  const hostEnv = where.hostEnv ?? process.env;
  const env: Record<string, string> = {
    ...topology.env,
    DYNAMODB_ENDPOINT: where.dynamodbEndpoint,
    DYNAMODB_TABLE: topology.dynamodb.table,
    AWS_REGION: topology.dynamodb.region,
    AWS_ACCESS_KEY_ID: hostEnv.AWS_ACCESS_KEY_ID ?? "local",
    AWS_SECRET_ACCESS_KEY: hostEnv.AWS_SECRET_ACCESS_KEY ?? "local",
  };
  for (const spec of topology.processes) {
    const url = where.urls[spec.name];
    if (!url) continue;
    env[envVarForService(spec.name)] = url;
    for (const instance of spec.serves ?? []) env[providerUrlVariable(instance)] = url;
  }
  return env;
}

/** What one process is given on top of systemEnvironment: its own settings, its name for telemetry, and its port. */
export function processEnvironment(spec: ProcessSpec, port: number | undefined): Record<string, string> {
  return { ...spec.env, OTEL_SERVICE_NAME: spec.name, ...(port === undefined ? {} : { PORT: String(port) }) };
}

/** Loaded with `--import` before a service's own code (not a simulator's). */
const telemetryRegistration = "src/utilities/telemetry/register.ts";

/**
 * What runs for a source file: topology.json names the source (src/X.ts, so a reader finds the
 * code), `npm run build` compiles it to dist/X.js.
 */
function compiledFile(root: string, source: string): string {
  if (!/^src\/.+\.ts$/.test(source)) throw new Error(`${source}: an entry must be a TypeScript file under src/`);
  return path.join(root, source.replace(/^src\//, "dist/").replace(/\.ts$/, ".js"));
}

/**
 * Node's own TypeScript type stripping (on by default in Node 24) is switched off in every
 * process, so that anything resolving to a .ts file fails loudly instead of running uncompiled.
 * The flag is named by what this Node accepts.
 */
const nodeFlags = ["--strip-types", "--experimental-strip-types"]
  .filter((flag) => process.allowedNodeEnvironmentFlags.has(flag))
  .slice(0, 1)
  .map((flag) => flag.replace(/^--/, "--no-"));

interface Running {
  spec: ProcessSpec;
  child: ChildProcess;
  recent: string[];
  expectedExit: boolean;
  exited: Promise<void>;
}

/**
 * Runs the whole system as separate processes, as the topology file says:
 * DynamoDB Local, the provider simulators and every service on its own port,
 * started layer by layer, each layer once the one below accepts connections.
 * If anything cannot start, everything already started is stopped again and
 * the error names the service.
 */
export async function startSystem(options: StartSystemOptions): Promise<RunningSystem> {
  const topology = loadTopology(options.topologyFile ?? path.join(options.root, "topology.json"));
  const offset = options.portOffset ?? 0;
  const output = options.output ?? ((service, line) => process.stdout.write(`${service} | ${line}\n`));
  const urls: Record<string, string> = {};
  for (const spec of topology.processes) {
    if (spec.port !== undefined) urls[spec.name] = `http://127.0.0.1:${spec.port + offset}`;
  }

  const dbPath = options.inMemoryDatabase ? undefined : path.resolve(options.root, options.databasePath ?? topology.dynamodb.path);
  if (dbPath) mkdirSync(dbPath, { recursive: true });
  const dbPort = topology.dynamodb.port + offset;
  await assertPortFree("dynamodb-local", dbPort);
  const dynamodb = await startDynamoDbLocal({ port: dbPort, path: dbPath }).catch((error: Error) => {
    throw new ServiceStartError("dynamodb-local", error.message);
  });

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...systemEnvironment(topology, { urls, dynamodbEndpoint: dynamodb.endpoint }),
    ...(options.otlpEndpoint
      ? { OTEL_EXPORTER_OTLP_ENDPOINT: options.otlpEndpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_METRIC_EXPORT_INTERVAL: "5000" }
      : {}),
    ...options.env,
  };

  // Outside AWS booking access encrypts patient data under a key file: the first start makes one (.data/patient-data.key).
  if (!env.BP_PATIENT_DATA_KEY_ARN) {
    const keyFile = env.BP_PATIENT_DATA_KEY_FILE || defaultPatientDataKeyFile;
    try {
      if (ensurePatientDataKeyFile(path.resolve(options.root, keyFile))) {
        output("booking-access", `made a new patient data key in ${keyFile} (keep it: what is stored under it cannot be read without it)`);
      }
    } catch (error) {
      await dynamodb.stop();
      throw new ServiceStartError("booking-access", `could not make the patient data key ${keyFile}: ${(error as Error).message}`);
    }
  }

  // The development API key is a local setting (topology.json's env); the table is made to know it before anyone calls.
  const developmentApiKey = env.BP_DEV_API_KEY || undefined;
  if (developmentApiKey) {
    await ensureDevelopmentKey(dynamodb.endpoint, topology.dynamodb, developmentApiKey).catch(async (error: Error) => {
      await dynamodb.stop();
      throw new ServiceStartError("dynamodb-local", `could not store the development API key: ${error.message}`);
    });
  }

  const running = new Map<string, Running>();
  let up = false;
  let stopping = false;

  const launch = async (spec: ProcessSpec): Promise<void> => {
    const port = spec.port === undefined ? undefined : spec.port + offset;
    if (port !== undefined) await assertPortFree(spec.name, port);
    // Compiled JavaScript only (npm start and the system tests build dist/ first): no TypeScript loader in any process.
    const script = compiledFile(options.root, spec.entry);
    if (!existsSync(script))
      throw new ServiceStartError(spec.name, `${path.relative(options.root, script)} is missing: run \`npm run build\``);
    // Services load OpenTelemetry before their own code; simulators stand in for providers and are not traced.
    const telemetry = spec.layer === "simulator" ? [] : ["--import", compiledFile(options.root, telemetryRegistration)];
    const child = spawn(process.execPath, [...nodeFlags, ...telemetry, script], {
      cwd: options.root,
      env: { ...env, ...processEnvironment(spec, port), ...options.processEnv?.[spec.name] },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const entry: Running = {
      spec,
      child,
      recent: [],
      expectedExit: false,
      exited: new Promise((resolve) => child.once("exit", () => resolve())),
    };
    running.set(spec.name, entry);
    const onLine = (line: string) => {
      entry.recent.push(line);
      if (entry.recent.length > 20) entry.recent.shift();
      output(spec.name, line);
    };
    forwardLines(child.stdout!, onLine);
    forwardLines(child.stderr!, onLine);
    child.once("exit", (code, signal) => {
      if (up && !stopping && !entry.expectedExit) options.onUnexpectedExit?.(spec.name, code, signal);
    });
    await waitUntilListening(entry, port);
  };

  const stopProcess = async (entry: Running) => {
    entry.expectedExit = true;
    if (entry.child.exitCode !== null || entry.child.signalCode !== null) return;
    entry.child.kill("SIGTERM");
    const timer = setTimeout(() => entry.child.kill("SIGKILL"), 5000);
    await entry.exited;
    clearTimeout(timer);
  };

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.off("exit", killAllNow);
    for (const layer of [...startOrder].reverse()) {
      await Promise.all([...running.values()].filter((r) => r.spec.layer === layer).map(stopProcess));
    }
    await dynamodb.stop();
  };
  // Never leave orphans behind, even if the host itself crashes.
  const killAllNow = () => {
    for (const entry of running.values()) entry.child.kill("SIGKILL");
  };
  process.on("exit", killAllNow);

  try {
    for (const layer of startOrder) {
      await Promise.all(topology.processes.filter((p) => p.layer === layer).map(launch));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  up = true;

  const find = (service: string) => {
    const entry = running.get(service);
    if (!entry) throw new Error(`no process named ${service} in the topology`);
    return entry;
  };

  return {
    apiUrl: urls.api ?? "",
    developmentApiKey,
    dynamodbEndpoint: dynamodb.endpoint,
    urls,
    async kill(service, signal = "SIGKILL") {
      const entry = find(service);
      entry.expectedExit = true;
      entry.child.kill(signal);
      await entry.exited;
    },
    pids() {
      const pids: Record<string, number> = {};
      for (const [name, entry] of running) if (entry.child.pid) pids[name] = entry.child.pid;
      if (dynamodb.pid) pids["dynamodb-local"] = dynamodb.pid;
      return pids;
    },
    async restart(service) {
      const entry = find(service);
      await stopProcess(entry);
      await launch(entry.spec);
    },
    stop,
  };
}

/** Creates the table if needed and stores the development key (client "development", every scope) unless it is there. */
async function ensureDevelopmentKey(endpoint: string, table: { table: string; region: string }, value: string): Promise<void> {
  const { client, documents } = createDynamoDbClients({ endpoint, tableName: table.table, region: table.region });
  try {
    await ensureTable(client, table.table);
    await createApiKeyStore(documents, table.table).ensure({
      value,
      clientId: "development",
      name: "Development key (npm start)",
      scopes: [...scopes],
    });
  } finally {
    client.destroy();
  }
}

function forwardLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffered += chunk;
    for (let newline = buffered.indexOf("\n"); newline >= 0; newline = buffered.indexOf("\n")) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  });
  stream.on("end", () => buffered && onLine(buffered));
}

async function assertPortFree(service: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      reject(new ServiceStartError(service, error.code === "EADDRINUSE" ? `port ${port} is already in use` : error.message)),
    );
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve()));
  });
}

/** Until the port accepts connections; a process without a port only has to stay alive for a moment. */
async function waitUntilListening(entry: Running, port: number | undefined, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const settleAt = Date.now() + 1000;
  while (Date.now() < deadline) {
    if (entry.child.exitCode !== null || entry.child.signalCode !== null) {
      throw new ServiceStartError(
        entry.spec.name,
        `it exited (${entry.child.exitCode ?? entry.child.signalCode}) before ${port === undefined ? "settling" : `listening on port ${port}`}. Last output:\n${entry.recent.join("\n")}`,
      );
    }
    if (port === undefined ? Date.now() >= settleAt : await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new ServiceStartError(entry.spec.name, `nothing listened on port ${port} within ${timeoutMs / 1000} s`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
