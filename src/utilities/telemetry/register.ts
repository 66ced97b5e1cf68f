/**
 * Loaded with `node --import` before a service's own code, so that the
 * instrumented modules (node:http, the AWS SDK, Fastify) are patched before
 * anything imports them. The service name comes from OTEL_SERVICE_NAME, which
 * whoever starts the process sets (npm start sets it to the topology name).
 */
import { register } from "node:module";
import { startTelemetry } from "./start-telemetry.js";
import { setTelemetrySdk } from "./telemetry-sdk.js";

// ES modules are patched through import-in-the-middle's loader hook.
register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);

setTelemetrySdk(startTelemetry({ serviceName: process.env.OTEL_SERVICE_NAME ?? "booking-platform" }));
