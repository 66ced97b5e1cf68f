/**
 * `npm start`: the whole Booking Platform on this machine, every service its
 * own process on its own port, as topology.json says. Ctrl-C stops it all.
 *
 *   npm start                       DynamoDB Local on disk under .data/ (survives restarts)
 *   npm start -- --in-memory        a throw-away database
 *   npm start -- --port-offset 1000 every port shifted, to run beside another copy
 *   npm start -- --raw-logs         the services' JSON log lines as they are
 *   npm start -- --traces           print each request's trace, across every service
 *
 * npm start runs scripts/start.mjs, which builds what is stale in dist/ and then runs this
 * file compiled (dist/host/start.js): every process is JavaScript, none loads TypeScript.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { formatTrace, type ReceivedSpan, startOtlpReceiver } from "./otlp-receiver.js";
import { formatLogLine } from "./private/format-log-line.js";
import { startSystem } from "./system-runner.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const usage = `usage: npm start -- [--in-memory] [--port-offset <n>] [--raw-logs] [--traces]

  --in-memory        a throw-away database instead of DynamoDB Local on disk under .data/
  --port-offset <n>  every port shifted by n, to run beside another copy
  --raw-logs         the services' JSON log lines as they are
  --traces           print each request's trace, across every service`;
let values: { "in-memory": boolean; "port-offset": string; "raw-logs": boolean; traces: boolean; help: boolean };
try {
  ({ values } = parseArgs({
    options: {
      "in-memory": { type: "boolean", default: false },
      "port-offset": { type: "string", default: "0" },
      "raw-logs": { type: "boolean", default: false },
      traces: { type: "boolean", default: false },
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
const portOffset = Number(values["port-offset"]);
if (!Number.isInteger(portOffset)) {
  console.error(`--port-offset must be a whole number, not ${values["port-offset"]}`);
  process.exit(2);
}

const width = 24;
const output = (service: string, line: string) =>
  process.stdout.write(`${service.padEnd(width)}| ${values["raw-logs"] ? line : formatLogLine(line)}\n`);

console.log("Starting the Booking Platform (DynamoDB Local, simulators, services)…");
// --traces: a local OTLP receiver that prints one tree per trace once its spans stop arriving.
const receiver = values.traces
  ? await startOtlpReceiver({
      port: 4318 + portOffset,
      onSpans: (() => {
        const pending = new Map<string, { spans: ReceivedSpan[]; timer?: NodeJS.Timeout }>();
        return (spans: ReceivedSpan[]) => {
          for (const span of spans) {
            const entry = pending.get(span.traceId) ?? { spans: [] };
            pending.set(span.traceId, entry);
            entry.spans.push(span);
            clearTimeout(entry.timer);
            entry.timer = setTimeout(() => {
              pending.delete(span.traceId);
              console.log(`\n${formatTrace(entry.spans)}\n`);
            }, 1500);
          }
        };
      })(),
    })
  : undefined;
const started = Date.now();
let system: Awaited<ReturnType<typeof startSystem>>;
try {
  system = await startSystem({
    root,
    portOffset,
    inMemoryDatabase: values["in-memory"],
    otlpEndpoint: receiver?.endpoint,
    output,
    onUnexpectedExit: (service, code, signal) => {
      console.error(`\n✖ ${service} stopped unexpectedly (${code ?? signal}); stopping everything.`);
      void system.stop().then(() => process.exit(1));
    },
  });
} catch (error) {
  console.error(`\n✖ ${(error as Error).message}`);
  process.exit(1);
}

console.log(`
Booking Platform is up after ${((Date.now() - started) / 1000).toFixed(1)} s.

  REST API         ${system.apiUrl}
  API reference    ${system.apiUrl}/docs
  OpenAPI document ${system.apiUrl}/openapi.json
  Operator console ${system.apiUrl}/console/  (sign in with an admin key, e.g. the development key below)
  DynamoDB Local   ${system.dynamodbEndpoint}${values["in-memory"] ? " (in memory)" : " (on disk, .data/dynamodb)"}
  Traces           ${receiver ? `printed here (OTLP receiver ${receiver.endpoint})` : "npm start -- --traces prints them; or set OTEL_EXPORTER_OTLP_ENDPOINT"}

Development API key: ${system.developmentApiKey ?? "(none: BP_DEV_API_KEY is not set)"}

  try: export BP_API_KEY=${system.developmentApiKey ?? "<key>"}
       curl -H "Authorization: Bearer $BP_API_KEY" '${system.apiUrl}/v1/treatments'

${Object.entries(system.urls)
  .map(([name, url]) => `  ${name.padEnd(width)}${url}`)
  .join("\n")}

Press Ctrl-C to stop.
`);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping every service…`);
  await system.stop();
  console.log("Stopped.");
  process.exit(0);
};
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
