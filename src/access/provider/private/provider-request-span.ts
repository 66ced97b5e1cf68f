import { type Attributes, context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { suppressTracing } from "@opentelemetry/core";
import { createLogger, type Logger } from "../../../utilities/logging/logger.js";
import { ProviderError } from "../provider-error.js";
import { currentProviderCall, type ProviderCall } from "./provider-call.js";

// Asked for once: without an SDK every getTracer makes a new proxy tracer, which the CPU profile of a
// service under load showed at 15% of its time (docs/performance.md). The proxy follows an SDK started later.
const cachedTracer = trace.getTracer("booking-platform/provider-access");
const tracer = () => cachedTracer;
let fallbackLog: Logger | undefined;
/** Calls made outside provider access (an adapter under test) still log, under the service's name. */
function logOf(call: ProviderCall | undefined): Logger {
  if (call?.log) return call.log;
  fallbackLog ??= createLogger("provider-access");
  return fallbackLog;
}

export interface ProviderRequestDescription {
  providerInstanceId: string;
  method: string;
  /** The request's URL, used for the server address only: it may hold ids and never reaches a span or a log. */
  url: string;
  /**
   * The path as a template, without ids, query or patient data (e.g. `/Slot/{id}`,
   * `/api/v2/bookings/{bookingId}/confirm`): what spans and logs show.
   */
  template: string;
}

export interface ObservedRequest {
  /** W3C trace context for the provider, to send with the request. */
  traceHeaders: Record<string, string>;
  /** The provider's HTTP status, as soon as it is known. */
  answered(status: number): void;
}

/**
 * One provider HTTP request as a CLIENT span named `<method> <template>` and a
 * debug log line, both naming the provider instance, the adapter operation,
 * the URL template, the method, the status and, on failure, its kind. The
 * request itself runs with tracing suppressed: the generic fetch
 * instrumentation would otherwise add a second span carrying the full URL,
 * ids and all. No attribute carries anything the template does not.
 */
export async function observeProviderRequest<T>(
  request: ProviderRequestDescription,
  run: (observed: ObservedRequest) => Promise<T>,
): Promise<T> {
  const call = currentProviderCall();
  const server = new URL(request.url);
  const attributes: Attributes = {
    "provider.instance": request.providerInstanceId,
    "http.request.method": request.method,
    "url.template": request.template,
    "url.scheme": server.protocol.replace(":", ""),
    "server.address": server.hostname,
    "server.port": Number(server.port || (server.protocol === "https:" ? 443 : 80)),
  };
  if (call) attributes["provider.operation"] = call.operation;

  return tracer().startActiveSpan(`${request.method} ${request.template}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    const started = performance.now();
    const traceHeaders: Record<string, string> = {};
    propagation.inject(context.active(), traceHeaders);
    let status: number | undefined;
    const log = (outcome: string) =>
      logOf(call).debug(
        {
          provider_instance: request.providerInstanceId,
          operation: call?.operation,
          method: request.method,
          url_template: request.template,
          status,
          outcome,
          duration_ms: Math.round(performance.now() - started),
        },
        `provider ${request.providerInstanceId} ${request.method} ${request.template} → ${status ?? outcome}`,
      );
    try {
      const result = await context.with(suppressTracing(context.active()), () =>
        run({
          traceHeaders,
          answered(code) {
            status = code;
            span.setAttribute("http.response.status_code", code);
          },
        }),
      );
      // A refusal the adapter handles (a slot taken, a stale version) is still an error for the span, as HTTP semantics say.
      if (status !== undefined && status >= 400) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
      log("ok");
      return result;
    } catch (error) {
      // The kind only: messages may quote the provider's answer.
      const kind = error instanceof ProviderError ? error.kind : "adapter-bug";
      span.setAttribute("error.type", status && status >= 400 ? String(status) : kind);
      span.setAttribute("provider.error.kind", kind);
      span.setStatus({ code: SpanStatusCode.ERROR, message: kind });
      log(kind);
      throw error;
    } finally {
      span.end();
    }
  });
}
