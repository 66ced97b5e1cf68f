import http from "node:http";
import { Writable } from "node:stream";
import { context, propagation, ROOT_CONTEXT, type Span, TraceFlags, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../logging/logger.js";
import { startTelemetry } from "./start-telemetry.js";

const saved = { ...process.env };
let shutdown: (() => Promise<void>) | undefined;
afterEach(async () => {
  await shutdown?.();
  shutdown = undefined;
  // Let the next case register its own SDK globally.
  trace.disable();
  context.disable();
  propagation.disable();
  process.env = { ...saved };
});

/** Starts telemetry with the sampler variables given, exporting into memory. */
function started(sampler: Record<string, string>) {
  Object.assign(process.env, sampler);
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor({ exporter });
  const sdk = startTelemetry({ serviceName: "sampling-test", spanProcessors: [processor], env: {} });
  shutdown = () => sdk!.shutdown();
  // Spans are exported once the resource's detectors have answered: flush before reading them.
  const exported = async () => {
    await processor.forceFlush();
    return exporter.getFinishedSpans();
  };
  return { exported, tracer: trace.getTracer("test") };
}

/** A span inside a request whose caller sent this W3C traceparent. */
function childOfRemote(traceparent: string, tracer: ReturnType<typeof trace.getTracer>): Span {
  const parent = propagation.extract(ROOT_CONTEXT, { traceparent });
  return tracer.startSpan("child of a remote parent", {}, parent);
}

describe("sampling by the standard variables (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG)", () => {
  it("samples every trace by default (parent-based, always on)", async () => {
    const { exported, tracer } = started({});
    for (let i = 0; i < 20; i++) tracer.startSpan("root").end();
    expect(await exported()).toHaveLength(20);
  });

  it("keeps the given share of new traces with parentbased_traceidratio", async () => {
    const { exported, tracer } = started({ OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.25" });
    for (let i = 0; i < 2000; i++) tracer.startSpan("root").end();
    // 500 expected; the trace ids are random, so a wide margin.
    const kept = (await exported()).length;
    expect(kept).toBeGreaterThan(350);
    expect(kept).toBeLessThan(650);
  });

  it("follows the caller's decision whatever the ratio: a sampled parent's children are kept, an unsampled one's are not", async () => {
    const { exported, tracer } = started({ OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0" });
    tracer.startSpan("new trace").end();
    childOfRemote("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", tracer).end();
    childOfRemote("00-1af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", tracer).end();
    expect((await exported()).map((span) => span.spanContext().traceId)).toEqual(["0af7651916cd43dd8448eb211c80319c"]);
  });

  it("gives an unsampled trace ids all the same, which the logs carry", async () => {
    const { exported, tracer } = started({ OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0" });
    const lines: string[] = [];
    const logger = createLogger("sampling-test", {
      destination: new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    const span = tracer.startSpan("not sampled");
    expect(span.isRecording()).toBe(false);
    expect(span.spanContext().traceFlags & TraceFlags.SAMPLED).toBe(0);
    context.with(trace.setSpan(context.active(), span), () => logger.info("inside an unsampled request"));
    span.end();
    expect(await exported()).toEqual([]);
    expect(JSON.parse(lines[0]!)).toMatchObject({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
  });

  it("samples nothing with always_off", async () => {
    const off = started({ OTEL_TRACES_SAMPLER: "always_off" });
    off.tracer.startSpan("root").end();
    expect(await off.exported()).toEqual([]);
  });
});

describe("with nothing to export", () => {
  it("starts no SDK and instruments nothing: no span, no context per request", () => {
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    const before = http.request;
    expect(startTelemetry({ serviceName: "idle" })).toBeUndefined();
    // node:http is not patched, and the API the code calls is its no-op.
    expect(http.request).toBe(before);
    const span = trace.getTracer("test").startSpan("root");
    expect(span.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(false);
    expect(context.with(trace.setSpan(context.active(), span), () => trace.getActiveSpan())).toBeUndefined();
  });
});
