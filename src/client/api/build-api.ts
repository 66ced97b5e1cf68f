import { createClient, createRouterTransport } from "@connectrpc/connect";
import helmet from "@fastify/helmet";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from "fastify";
import { OnboardingManagerService } from "../../managers/onboarding/v1/onboarding_manager_pb.js";
import { withDeadline } from "../../utilities/rpc/deadline.js";
import type { Scope } from "../../utilities/security/api-keys.js";
import { adminSchemas } from "./admin-schemas.js";
import { type AuthenticationOptions, registerAuthentication } from "./auth/authenticate.js";
import { securityScheme, securitySchemeName } from "./auth/security.js";
import type { BookingManagerClient } from "./booking-manager-client.js";
import { createAvailabilityAnswers } from "./caching/availability-answers.js";
import { clientErrorHandler, httpLimits } from "./limits/http-limits.js";
import { registerRateLimits } from "./limits/rate-limits.js";
import type { OnboardingManagerClient } from "./onboarding-manager-client.js";
import type { ProblemName } from "./problems/problem-catalog.js";
import { registerProblemDetails, sendProblem } from "./problems/problem-details.js";
import { problemPages } from "./problems/problem-pages.js";
import { registerRequestMetrics } from "./request-metrics.js";
import { adminRoutes } from "./routes/admin-routes.js";
import { availabilityRoutes } from "./routes/availability-routes.js";
import { catalogRoutes } from "./routes/catalog-routes.js";
import { consoleRoutes } from "./routes/console-routes.js";
import { healthRoutes } from "./routes/health-routes.js";
import { reservationRoutes } from "./routes/reservation-routes.js";
import { sharedSchemas } from "./schemas.js";

export interface ApiOptions {
  bookingManager: BookingManagerClient;
  /** The admin API's manager (provider onboarding); without it the admin routes exist (for the document) but answer 501. */
  onboardingManager?: OnboardingManagerClient;
  /** How callers prove who they are: API keys, and OAuth2 tokens where configured. */
  authentication: AuthenticationOptions;
  logger?: FastifyBaseLogger | boolean;
  /** Readiness; by default the booking manager answering a cheap call within a second. */
  ready?: () => Promise<boolean>;
  /** Overrides of the HTTP limits (tests shorten the timeouts). */
  limits?: Partial<typeof httpLimits>;
  /** Requests a minute per client and scope (default: BP_RATE_LIMITS or the defaults of limits/rate-limits.ts). */
  rateLimits?: Record<Scope | "open", number>;
  /** Told of every problem answered that the operation's schema does not declare (tests collect them); logged otherwise. */
  onUndeclaredProblem?: (operation: string, problem: ProblemName) => void;
  /** The operator console's built files (dist/console), served under /console/; without them /console/ says how to build it. */
  consoleDir?: string;
  /** How long a CDN or client may reuse an availability answer (`Cache-Control: max-age`); default 5 s. */
  availabilityMaxAgeSeconds?: number;
}

export const apiVersion = "0.1.0";

/**
 * Relative: the document describes whichever host serves it. `x-internal: false` and the named
 * environments say the audience (OWASP API9). A constant, as the swagger types know no `x-` fields.
 */
const server = {
  url: "/",
  description: "This API, in whichever environment serves the document (local, development, staging, production)",
  "x-internal": false,
};

/** Aborted when the client goes away before its answer is written: nothing below keeps working for nobody. */
function signalOf(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** The public REST API. It calls the booking manager and nothing else. */
export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const limits = { ...httpLimits, ...options.limits };
  const app = Fastify({
    loggerInstance: typeof options.logger === "object" ? options.logger : undefined,
    logger: typeof options.logger === "boolean" ? options.logger : undefined,
    // Unknown fields are refused (400), never silently dropped, and every error is listed.
    ajv: { customOptions: { allErrors: true, removeAdditional: false } },
    bodyLimit: limits.bodyLimitBytes,
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.connectionTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxParamLength: limits.maxParamLength,
    // One access line per request (the onResponse hook below), not Fastify's two: a profile under load
    // showed writing log lines at about a third of the API's CPU.
    disableRequestLogging: true,
    // Node checks request timeouts every 30 s by default: a slow client would hold on for up to that much longer.
    http: { connectionsCheckingInterval: Math.min(1000, limits.requestTimeoutMs / 4) },
    clientErrorHandler,
    frameworkErrors: (error, request, reply) => {
      if (error.code === "FST_ERR_MAX_PARAM_LENGTH") return sendProblem(request, reply, "uri-too-long", "a path parameter is too long");
      return sendProblem(request, reply, "malformed-request", "the URL is not valid (bad percent-encoding?)");
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.server.headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);

  app.addHook("onResponse", (request, reply, done) => {
    request.log.info(
      { req: { method: request.method, url: request.url }, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime },
      "request completed",
    );
    done();
  });
  // Every request's deadline, carried through every service it reaches.
  app.addHook("onRequest", (_request, reply, done) => withDeadline(limits.requestDeadlineMs, () => done(), signalOf(reply)));
  registerProblemDetails(app, options.onUndeclaredProblem);
  registerAuthentication(app, options.authentication);
  await registerRateLimits(app, options.rateLimits);
  registerRequestMetrics(app);
  await app.register(helmet, (instance) => ({
    // The reference page (/docs) runs Swagger UI from this API's own files only.
    // Not helmet's defaults: their upgrade-insecure-requests would break the page on a plain-HTTP localhost.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        "default-src": ["'self'"],
        "base-uri": ["'self'"],
        "font-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "script-src": ["'self'", ...((instance as unknown as { swaggerCSP?: { script: string[] } }).swaggerCSP?.script ?? [])],
        "style-src": ["'self'", ...((instance as unknown as { swaggerCSP?: { style: string[] } }).swaggerCSP?.style ?? [])],
      },
    },
  }));
  // Answers about reservations and patients carry personal data: no cache may keep them.
  app.addHook("onSend", async (request, reply) => {
    if (!reply.hasHeader("cache-control") && (request.url.startsWith("/v1/") || reply.statusCode >= 400))
      reply.header("cache-control", "no-store");
  });
  for (const schema of [...sharedSchemas, ...adminSchemas]) app.addSchema(schema);

  // Registered before the routes, so that it sees them all.
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Booking Platform API",
        version: apiVersion,
        contact: { name: "Booking Platform team", url: "https://github.com/booking-platform" },
        description:
          "Find free time slots for a treatment across every connected booking provider, and reserve them. " +
          "Errors are RFC 9457 problem+json with a stable `code`; each operation lists the problems it can answer, " +
          "and [/problems](/problems) says when each happens and what to do.",
      },
      tags: [
        { name: "catalog", description: "Treatments and clinics" },
        { name: "availability", description: "Free time slots" },
        { name: "reservations", description: "Hold, confirm, cancel" },
        { name: "operations", description: "Health and readiness" },
        { name: "admin", description: "Provider onboarding: instances, their catalogs and mappings, syncs, health (`admin` scope)" },
      ],
      servers: [server],
      components: { securitySchemes: { [securitySchemeName]: securityScheme } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  // persistAuthorization: the key entered under "Authorize" survives a reload of the reference page.
  await app.register(swaggerUi, { routePrefix: "/docs", staticCSP: true, uiConfig: { persistAuthorization: true } });

  const bookingManager = options.bookingManager;
  const ready =
    options.ready ??
    (() =>
      bookingManager.listTreatments({}, { timeoutMs: 1000 }).then(
        () => true,
        () => false,
      ));
  await app.register(catalogRoutes, { bookingManager });
  const maxAgeSeconds = options.availabilityMaxAgeSeconds ?? 5;
  // Search answers are kept here as long as a CDN may keep them; this process's own reservations drop them.
  const answers = createAvailabilityAnswers({ maxAgeMs: maxAgeSeconds * 1000 });
  await app.register(availabilityRoutes, { bookingManager, answers, maxAgeSeconds });
  // An operator's change through the admin API (a provider paused, codes mapped, a sync) may change any search.
  // (onSend: before the answer leaves, so that the operator's next search cannot overtake it.)
  app.addHook("onSend", async (request, reply, payload) => {
    if (request.method !== "GET" && request.url.startsWith("/v1/admin/") && reply.statusCode < 400) answers.forgetAll();
    return payload;
  });
  await app.register(reservationRoutes, { bookingManager, answers });
  await app.register(adminRoutes, {
    onboardingManager:
      options.onboardingManager ??
      createClient(
        OnboardingManagerService,
        createRouterTransport(() => {}),
      ),
  });
  await app.register(healthRoutes, { ready });
  await app.register(problemPages);
  await app.register(consoleRoutes, { dir: options.consoleDir });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  return app;
}
