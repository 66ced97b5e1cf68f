import { Code, ConnectError } from "@connectrpc/connect";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Problem } from "../schemas.js";
import { type ProblemName, problemCatalog, problemTypeUri } from "./problem-catalog.js";
import { problemForError } from "./problem-for-error.js";

/** An error a route throws on purpose, carried to the client as problem+json. */
export class HttpProblem extends Error {
  constructor(
    readonly problem: ProblemName,
    detail: string,
    readonly errors?: Problem["errors"],
  ) {
    super(detail);
  }
}

export function validationProblem(name: string, reason: string): HttpProblem {
  return new HttpProblem("validation", `${name}: ${reason}`, [{ name, reason }]);
}

declare module "fastify" {
  interface FastifyInstance {
    /** Called when a route answers a problem its schema does not declare (see registerProblemDetails). */
    undeclaredProblem: (request: FastifyRequest, name: ProblemName) => void;
  }
}

/** Answers with one problem of the catalog; its status and title come from there. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, name: ProblemName, detail: string, extra: Partial<Problem> = {}) {
  const { status, title } = problemCatalog[name];
  if (!declares(request, name)) request.server.undeclaredProblem(request, name);
  const problem: Problem = {
    type: problemTypeUri(name),
    code: name,
    title,
    status,
    detail,
    instance: request.url.split("?")[0],
    ...extra,
  };
  return reply.code(status).type("application/problem+json").send(problem);
}

/** Fastify's own client errors, by their stable codes. */
const fastifyProblems: Record<string, ProblemName> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "body-too-large",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported-media-type",
  FST_ERR_CTP_INVALID_TYPE: "unsupported-media-type",
};

/**
 * Every error leaves the API as RFC 9457 problem+json: validation errors name
 * each field, an unknown route is a 404, and a failure below the API becomes
 * the problem its reason (google.rpc.ErrorInfo) names, the failing provider
 * named in the detail, never a bare 500.
 */
export function registerProblemDetails(app: FastifyInstance, onUndeclared?: (operation: string, name: ProblemName) => void) {
  // The OpenAPI document tells clients which problems each operation answers; an answer outside
  // that list means the document lies. Tests collect these; in service it is an error in the log.
  app.decorate("undeclaredProblem", (request: FastifyRequest, name: ProblemName) => {
    const operation = String(request.routeOptions.schema?.operationId ?? request.routeOptions.url);
    if (onUndeclared) onUndeclared(operation, name);
    else
      request.log.error({ operation, problem: name }, `operation ${operation} answered problem ${name}, which its schema does not declare`);
  });

  // Every route's path pattern and methods, so that a known path asked with another method is a 405, not a 404.
  const routes: Array<{ pattern: RegExp; methods: string[] }> = [];
  app.addHook("onRoute", (route) => {
    const pattern = new RegExp(`^${route.url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:[A-Za-z0-9_]+/g, "[^/]+")}/?$`);
    routes.push({ pattern, methods: [route.method].flat().map(String) });
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => r.methods))].filter((m) => m !== "HEAD");
    // A route that takes this method but found nothing (an unknown problem page) is a plain 404.
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      reply.header("allow", allowed.join(", "));
      return sendProblem(request, reply, "method-not-allowed", `${path} takes ${allowed.join(", ")}, not ${request.method}`);
    }
    return sendProblem(request, reply, "not-found", `no route ${request.method} ${path}`);
  });

  app.setErrorHandler((error: FastifyError | HttpProblem | ConnectError | Error, request, reply) => {
    if (error instanceof HttpProblem) {
      return sendProblem(request, reply, error.problem, error.message, error.errors ? { errors: error.errors } : {});
    }
    if ("validation" in error && error.validation) {
      const errors = error.validation.map((issue) => ({
        name: fieldName(error.validationContext, issue.instancePath, issue.params),
        reason: issue.keyword === "required" ? "is required" : (issue.message ?? "is invalid"),
      }));
      return sendProblem(request, reply, "validation", errors.map((e) => `${e.name} ${e.reason}`).join("; "), { errors });
    }
    if (error instanceof ConnectError) {
      const name = problemForError(error, error.code);
      const { status } = problemCatalog[name];
      if (status >= 500) request.log.warn({ err: error, code: Code[error.code] }, "call below the API failed");
      // Internal failures say nothing about themselves; everything else was written for the caller.
      return sendProblem(request, reply, name, name === "internal" ? "an internal error occurred" : error.rawMessage);
    }
    if ("statusCode" in error && typeof error.statusCode === "number" && error.statusCode < 500) {
      const name = ("code" in error && fastifyProblems[error.code]) || (error.statusCode === 404 ? "not-found" : "malformed-request");
      return sendProblem(request, reply, name, error.message);
    }
    request.log.error({ err: error }, "unhandled error");
    return sendProblem(request, reply, "internal", "an internal error occurred");
  });
}

/** Whether the route's schema lists this problem among its responses; routes without a schema (the 404 handler) declare everything. */
function declares(request: FastifyRequest, name: ProblemName): boolean {
  const responses = request.routeOptions.schema?.response as
    | Record<string, { content?: Record<string, { examples?: Record<string, unknown> }> }>
    | undefined;
  if (!responses || request.routeOptions.schema?.hide) return true;
  const examples = responses[String(problemCatalog[name].status)]?.content?.["application/problem+json"]?.examples;
  return Boolean(examples && Object.hasOwn(examples, name));
}

function fieldName(context: string | undefined, instancePath: string, params: Record<string, unknown>): string {
  const missing = typeof params.missingProperty === "string" ? `/${params.missingProperty}` : "";
  const path = `${instancePath}${missing}`.replace(/^\//, "").replaceAll("/", ".");
  if (context === "querystring" || context === "params" || context === "headers") return path || context;
  return path ? `${context ?? "body"}.${path}` : (context ?? "body");
}
