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
 * or http/json); without it nothing is sent and nothing breaks. Instruments
 * incoming HTTP, Fastify routes, fetch (provider calls) and the AWS SDK
 * (DynamoDB); gRPC hops are traced by grpc-tracing.ts.
 */
export function startTelemetry(options: TelemetryOptions): NodeSDK {
  const env = options.env ?? process.env;
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const json = (env.OTEL_EXPORTER_OTLP_PROTOCOL ?? "http/protobuf") === "http/json";
  const spanProcessors = [...(options.spanProcessors ?? [])];
  const metricReaders = [...(options.metricReaders ?? [])];
  if (endpoint) {
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
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ "service.name": options.serviceName, "service.namespace": "booking-platform" }),
    spanProcessors,
    metricReaders,
    // No OTEL_TRACES_EXPORTER fallback to console or OTLP: only what is configured above.
    traceExporter: undefined,
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
