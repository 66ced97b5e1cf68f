/**
 * The container image's entry point: runs one compiled entry of the platform, the way
 * `npm start` runs each process (src/host/system-runner.ts): OpenTelemetry first, then the
 * entry's own code, both compiled JavaScript under dist/.
 *
 *   node scripts/run-entry.mjs src/access/catalog/server.ts      a service, named as topology.json names it
 *   node scripts/run-entry.mjs src/client/reconciler/main.ts --once   a job, with its arguments
 *   node scripts/run-entry.mjs dist/any/entry.js                 any compiled entry (the catalog sync job, a one-off task)
 *
 * Without an argument it runs $SERVICE_ENTRY. OTEL_SDK_DISABLED=true (OpenTelemetry's own
 * switch) leaves telemetry out, as npm start does for the provider simulators.
 *
 * JavaScript rather than a shell script so that it needs nothing in the image but Node,
 * and so that the tests can check the same resolution rule the image uses.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** What runs for an entry: src/X.ts becomes dist/X.js (the rule of scripts/build.mjs); dist/X.js runs as it is. */
export function compiledEntry(entry) {
  if (/^src\/.+\.ts$/.test(entry)) return entry.replace(/^src\//, "dist/").replace(/\.ts$/, ".js");
  if (/^dist\/.+\.js$/.test(entry)) return entry;
  throw new Error(`${entry}: an entry is a source file src/….ts or a compiled file dist/….js`);
}

export const telemetryRegistration = "dist/utilities/telemetry/register.js";

// `node scripts/run-entry.mjs <entry> [arguments…]`
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [given, ...args] = process.argv.slice(2);
  const entry = given || process.env.SERVICE_ENTRY;
  if (!entry) {
    console.error("usage: run-entry.mjs <src/….ts | dist/….js> [arguments…]   (or set SERVICE_ENTRY)");
    process.exit(2);
  }
  let script;
  try {
    script = path.join(root, compiledEntry(entry));
  } catch (error) {
    console.error(error.message);
    process.exit(2);
  }
  if (!existsSync(script)) {
    console.error(`${path.relative(root, script)} does not exist: is ${entry} an entry of this build?`);
    process.exit(2);
  }
  // Loaded before the entry, so that node:http, the AWS SDK and Fastify are patched before anything imports them.
  if (process.env.OTEL_SDK_DISABLED !== "true") await import(pathToFileURL(path.join(root, telemetryRegistration)).href);
  // The entry sees the command line it would see run directly: `node dist/X.js --once`.
  process.argv = [process.argv[0], script, ...args];
  await import(pathToFileURL(script).href);
}
