import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";

/*
 * ConnectRPC has no OpenTelemetry instrumentation and Node's http2 server is
 * not instrumented, so these two interceptors carry the trace across every
 * gRPC hop: the client opens a CLIENT span and injects W3C trace context
 * (traceparent, tracestate) into the request metadata; the server extracts it
 * and runs the handler inside a SERVER span that is its child.
 */
// Asked for once: without an SDK every getTracer makes a new proxy tracer, which the CPU profile of a
// service under load showed at 15% of its time (docs/performance.md). The proxy follows an SDK started later.
const cachedTracer = trace.getTracer("booking-platform/grpc");
const tracer = () => cachedTracer;

const setter = { set: (headers: Headers, key: string, value: string) => headers.set(key, value) };
const getter = {
  get: (headers: Headers, key: string) => headers.get(key) ?? undefined,
  keys: (headers: Headers) => [...headers.keys()],
};

function attributesOf(req: { service: { typeName: string }; method: { name: string } }) {
  return { "rpc.system": "grpc", "rpc.service": req.service.typeName, "rpc.method": req.method.name };
}

async function traced<T>(span: Span, run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    span.setAttribute("rpc.grpc.status_code", 0); // OK
    return result;
  } catch (error) {
    const connectError = ConnectError.from(error);
    span.setAttribute("rpc.grpc.status_code", connectError.code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: `${Code[connectError.code]}: ${connectError.rawMessage}` });
    throw error;
  } finally {
    span.end();
  }
}

export const tracingClientInterceptor: Interceptor = (next) => (req) =>
  tracer().startActiveSpan(`${req.service.typeName}/${req.method.name}`, { kind: SpanKind.CLIENT, attributes: attributesOf(req) }, (span) =>
    traced(span, () => {
      propagation.inject(context.active(), req.header, setter);
      return next(req);
    }),
  );

export const tracingServerInterceptor: Interceptor = (next) => (req) => {
  const parent = propagation.extract(context.active(), req.header, getter);
  return tracer().startActiveSpan(
    `${req.service.typeName}/${req.method.name}`,
    { kind: SpanKind.SERVER, attributes: attributesOf(req) },
    parent,
    (span) => traced(span, () => next(req)),
  );
};
