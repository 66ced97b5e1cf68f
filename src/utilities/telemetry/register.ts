/**
 * Loaded with `node --import` before a service's own code, so that the
 * instrumented modules (node:http, the AWS SDK, Fastify) are patched before
 * anything imports them. The service name comes from OTEL_SERVICE_NAME, which
 * whoever starts the process sets (npm start sets it to the topology name).
 *
 * Only when something is exported (telemetry-config.ts): otherwise neither the
 * SDK nor the loader hook is loaded, which spares each process about 60 MB of
 * resident memory and most of a second of start-up (docs/performance.md), and
 * the OpenTelemetry API the code calls stays its no-op.
 */
import { register } from "node:module";
import { exportsTelemetry } from "./telemetry-config.js";

if (exportsTelemetry()) {
  // ES modules are patched through import-in-the-middle's loader hook.
  register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);
  const [{ startTelemetry }, { setTelemetrySdk }] = await Promise.all([import("./start-telemetry.js"), import("./telemetry-sdk.js")]);
  setTelemetrySdk(startTelemetry({ serviceName: process.env.OTEL_SERVICE_NAME ?? "booking-platform" }));
}
