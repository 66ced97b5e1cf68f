import { Code, ConnectError } from "@connectrpc/connect";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type Problem, problemTitles } from "./schemas.js";

const problemBase = "https://booking-platform.example/problems/";

/** An error a route throws on purpose, carried to the client as problem+json. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly kind: string,
    detail: string,
    readonly errors?: Problem["errors"],
  ) {
    super(detail);
  }
}

export function validationProblem(name: string, reason: string): HttpProblem {
  return new HttpProblem(400, "validation", `${name}: ${reason}`, [{ name, reason }]);
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  kind: string,
  detail: string,
  extra: Partial<Problem> = {},
) {
  const problem: Problem = {
    type: `${problemBase}${kind}`,
    title: problemTitles[status] ?? "Error",
    status,
    detail,
    instance: request.url.split("?")[0],
    ...extra,
  };
  return reply.code(status).type("application/problem+json").send(problem);
}

/**
 * Every error leaves the API as RFC 9457 problem+json: validation errors name
 * each field, an unknown route is a 404, and a failure below the API is mapped
 * from its gRPC code, with the failing provider named, never a bare 500.
 */
export function registerProblemDetails(app: FastifyInstance) {
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, 404, "not-found", `no route ${request.method} ${request.url.split("?")[0]}`),
  );

  app.setErrorHandler((error: FastifyError | HttpProblem | ConnectError | Error, request, reply) => {
    if (error instanceof HttpProblem) {
      return sendProblem(request, reply, error.status, error.kind, error.message, error.errors ? { errors: error.errors } : {});
    }
    if ("validation" in error && error.validation) {
      const errors = error.validation.map((issue) => ({
        name: fieldName(error.validationContext, issue.instancePath, issue.params),
        reason: issue.keyword === "required" ? "is required" : (issue.message ?? "is invalid"),
      }));
      return sendProblem(request, reply, 400, "validation", errors.map((e) => `${e.name} ${e.reason}`).join("; "), { errors });
    }
    if (error instanceof ConnectError) {
      const [status, kind] = statusOf(error.code);
      if (status >= 500) request.log.warn({ err: error, code: Code[error.code] }, "call below the API failed");
      const detail = status === 500 ? "an internal error occurred" : error.rawMessage;
      return sendProblem(request, reply, status, kind, detail);
    }
    if ("statusCode" in error && typeof error.statusCode === "number" && error.statusCode < 500) {
      return sendProblem(request, reply, error.statusCode, "bad-request", error.message);
    }
    request.log.error({ err: error }, "unhandled error");
    return sendProblem(request, reply, 500, "internal", "an internal error occurred");
  });
}

function fieldName(context: string | undefined, instancePath: string, params: Record<string, unknown>): string {
  const missing = typeof params.missingProperty === "string" ? `/${params.missingProperty}` : "";
  const path = `${instancePath}${missing}`.replace(/^\//, "").replaceAll("/", ".");
  if (context === "querystring" || context === "params" || context === "headers") return path || context;
  return path ? `${context ?? "body"}.${path}` : (context ?? "body");
}

function statusOf(code: Code): [number, string] {
  switch (code) {
    case Code.InvalidArgument:
      return [400, "validation"];
    case Code.NotFound:
      return [404, "not-found"];
    case Code.AlreadyExists:
    case Code.Aborted:
      return [409, "conflict"];
    case Code.FailedPrecondition:
      return [422, "rule-violated"];
    case Code.Unimplemented:
      return [501, "not-implemented"];
    case Code.Unavailable:
    case Code.DeadlineExceeded:
    case Code.ResourceExhausted:
    // What a service dying mid-call looks like from here (its HTTP/2 stream is reset).
    case Code.Canceled:
      return [503, "unavailable"];
    default:
      return [500, "internal"];
  }
}
