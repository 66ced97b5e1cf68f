import { FastifyOtelInstrumentation } from "@fastify/otel";
import { OTLPMetricExporter as OTLPMetricExporterJson } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as OTLPMetricExporterProto } from "@opentelemetry/exporter-metrics-otlp-proto";
import { OTLPTraceExporter as OTLPTraceExporterJson } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as OTLPTraceExporterProto } from "@opentelemetry/exporter-trace-otlp-proto";
import { AwsInstrumentation } from "@opentelemetry/instrumentation-aws-sdk";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { type MetricReader, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace";
import { exportsTelemetry } from "./telemetry-config.js";

export interface TelemetryOptions {
  serviceName: string;
  /** Extra span processors (tests use an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
  metricReaders?: MetricReader[];
  env?: NodeJS.ProcessEnv;
}

/**
 * OpenTelemetry for one process: traces and metrics, exported by standard
 * configuration only. With OTEL_EXPORTER_OTLP_ENDPOINT set they go to that
 * OTLP collector over OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf, the default,
 * or http/json). Instruments incoming HTTP, Fastify routes, fetch (provider
 * calls) and the AWS SDK (DynamoDB); gRPC hops are traced by grpc-tracing.ts.
 *
 * Sampling is the standard variables' (the SDK reads them itself):
 * OTEL_TRACES_SAMPLER (default parentbased_always_on; parentbased_traceidratio
 * with OTEL_TRACES_SAMPLER_ARG=0.1 keeps one trace in ten, and every process
 * follows the decision of the request's first one) and OTEL_SDK_DISABLED=true.
 * A trace that is not sampled still has ids, which the logs carry.
 *
 * Without anything to export (no endpoint, no processors or readers given) the
 * SDK is not started at all and nothing is instrumented: no span, no context
 * and no metric is made per request, and the OpenTelemetry API the code calls
 * is its no-op. Returns the started SDK, or undefined then.
 */
export function startTelemetry(options: TelemetryOptions): NodeSDK | undefined {
  const env = options.env ?? process.env;
  const exporting = exportsTelemetry(env);
  const json = (env.OTEL_EXPORTER_OTLP_PROTOCOL ?? "http/protobuf") === "http/json";
  const spanProcessors = [...(options.spanProcessors ?? [])];
  const metricReaders = [...(options.metricReaders ?? [])];
  if (exporting) {
    // The exporters read the endpoint, headers and timeouts from the standard variables themselves.
    spanProcessors.push(
      new BatchSpanProcessor({ exporter: json ? new OTLPTraceExporterJson() : new OTLPTraceExporterProto(), scheduledDelayMillis: 500 }),
    );
    metricReaders.push(
      new PeriodicExportingMetricReader({
        exporter: json ? new OTLPMetricExporterJson() : new OTLPMetricExporterProto(),
        exportIntervalMillis: Number(env.OTEL_METRIC_EXPORT_INTERVAL ?? 60_000),
      }),
    );
  }
  if (spanProcessors.length === 0 && metricReaders.length === 0) return undefined;
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ "service.name": options.serviceName, "service.namespace": "booking-platform" }),
    spanProcessors,
    metricReaders,
    // No OTEL_TRACES_EXPORTER fallback to console or OTLP: only what is configured above.
    traceExporter: undefined,
    // No sampler given: the SDK takes OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG (sampling.int.spec.ts shows it does).
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => req.url === "/health" || req.url === "/ready" }),
      new UndiciInstrumentation(),
      new AwsInstrumentation({ suppressInternalInstrumentation: true }),
      new FastifyOtelInstrumentation({ registerOnInitialization: true }),
    ],
  });
  sdk.start();
  return sdk;
}
