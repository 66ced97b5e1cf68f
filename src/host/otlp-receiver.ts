import http from "node:http";
import type { AddressInfo } from "node:net";

/** One span as it arrived over OTLP/HTTP JSON, flattened. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startNanos: bigint;
  endNanos: bigint;
  attributes: Record<string, unknown>;
  error: boolean;
}

export interface OtlpReceiver {
  /** What to put in OTEL_EXPORTER_OTLP_ENDPOINT (with OTEL_EXPORTER_OTLP_PROTOCOL=http/json). */
  endpoint: string;
  spans: ReceivedSpan[];
  metricBatches: number;
  close(): Promise<void>;
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type OtlpAttribute = { key: string; value: OtlpValue };

/**
 * A minimal OTLP/HTTP JSON receiver on this machine: enough to see traces
 * without any cloud (`npm start -- --traces`) and for the system tests to
 * check that every process's spans arrive with one trace id. It also answers
 * GET /spans with what it holds.
 */
export async function startOtlpReceiver(options: { port?: number; onSpans?: (spans: ReceivedSpan[]) => void } = {}): Promise<OtlpReceiver> {
  const receiver: Omit<OtlpReceiver, "endpoint" | "close"> = { spans: [], metricBatches: 0 };
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/v1/traces") {
        const spans = readSpans(JSON.parse(body || "{}"));
        receiver.spans.push(...spans);
        options.onSpans?.(spans);
      } else if (req.method === "POST" && req.url === "/v1/metrics") {
        receiver.metricBatches++;
      } else if (req.method === "GET" && req.url === "/spans") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(receiver.spans, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value)));
        return;
      } else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  return Object.assign(receiver, {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

function readSpans(request: {
  resourceSpans?: Array<{ resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }> }>;
}): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpan of request.resourceSpans ?? []) {
    const service = String(attributes(resourceSpan.resource?.attributes)["service.name"] ?? "unknown");
    for (const scope of resourceSpan.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        spans.push({
          service,
          traceId: String(span.traceId),
          spanId: String(span.spanId),
          parentSpanId: String(span.parentSpanId ?? ""),
          name: String(span.name),
          kind: Number(span.kind ?? 0),
          startNanos: BigInt(String(span.startTimeUnixNano ?? 0)),
          endNanos: BigInt(String(span.endTimeUnixNano ?? 0)),
          attributes: attributes(span.attributes as OtlpAttribute[] | undefined),
          error: (span.status as { code?: number } | undefined)?.code === 2,
        });
      }
    }
  }
  return spans;
}

function attributes(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries(
    (list ?? []).map(({ key, value }) => [key, value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue]),
  );
}

/** A trace as an indented tree, one line per span: where the time went, per service. */
export function formatTrace(spans: ReceivedSpan[]): string {
  const byParent = new Map<string, ReceivedSpan[]>();
  const ids = new Set(spans.map((s) => s.spanId));
  for (const span of spans) {
    const parent = ids.has(span.parentSpanId) ? span.parentSpanId : "";
    byParent.set(parent, [...(byParent.get(parent) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (parent: string, depth: number) => {
    for (const span of (byParent.get(parent) ?? []).sort((a, b) => Number(a.startNanos - b.startNanos))) {
      const ms = Number(span.endNanos - span.startNanos) / 1e6;
      lines.push(`${"  ".repeat(depth)}${span.error ? "✖ " : ""}${span.service.padEnd(20)} ${span.name} ${ms.toFixed(1)} ms`);
      walk(span.spanId, depth + 1);
    }
  };
  walk("", 0);
  return `trace ${spans[0]?.traceId ?? ""}\n${lines.join("\n")}`;
}
