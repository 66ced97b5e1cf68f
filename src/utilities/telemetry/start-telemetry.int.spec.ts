import http from "node:http";
import type { AddressInfo } from "node:net";
import { context, metrics, propagation, trace } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTelemetry } from "./start-telemetry.js";

/** What a collector received: path and content type of each export. */
let received: Array<{ path: string; contentType: string }> = [];
let collector: http.Server;
let endpoint = "";

beforeAll(async () => {
  collector = http.createServer((req, res) => {
    received.push({ path: req.url ?? "", contentType: req.headers["content-type"] ?? "" });
    req.resume();
    req.on("end", () => res.writeHead(200).end("{}"));
  });
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => collector.close(() => resolve())));

async function exportOneSpan(env: Record<string, string | undefined>) {
  received = [];
  const saved = { ...process.env };
  // The OTLP exporters read the standard variables from the environment themselves.
  Object.assign(process.env, env);
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete process.env[key];
  const sdk = startTelemetry({ serviceName: "export-test" });
  trace.getTracer("test").startSpan("one span").end();
  metrics.getMeter("test").createCounter("one.count").add(1);
  await sdk?.shutdown();
  // Let the next case register its own SDK globally.
  trace.disable();
  metrics.disable();
  context.disable();
  propagation.disable();
  process.env = saved;
  return received;
}

describe("exporting telemetry by standard configuration", () => {
  it("sends OTLP over http/protobuf by default", async () => {
    const sent = await exportOneSpan({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: undefined });
    expect(sent).toContainEqual({ path: "/v1/traces", contentType: "application/x-protobuf" });
  });

  it("sends OTLP over http/json when asked", async () => {
    const sent = await exportOneSpan({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" });
    expect(sent).toContainEqual({ path: "/v1/traces", contentType: "application/json" });
    expect(sent.some((r) => r.path === "/v1/metrics")).toBe(true);
  });

  it("sends nothing, and breaks nothing, without an endpoint", async () => {
    const sent = await exportOneSpan({ OTEL_EXPORTER_OTLP_ENDPOINT: undefined, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined });
    expect(sent).toEqual([]);
  });
});
