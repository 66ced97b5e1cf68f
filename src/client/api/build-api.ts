import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { type AuthenticationOptions, registerAuthentication } from "./auth/authenticate.js";
import { securityScheme, securitySchemeName } from "./auth/security.js";
import type { BookingManagerClient } from "./booking-manager-client.js";
import type { ProblemName } from "./problems/problem-catalog.js";
import { registerProblemDetails } from "./problems/problem-details.js";
import { problemPages } from "./problems/problem-pages.js";
import { registerRequestMetrics } from "./request-metrics.js";
import { availabilityRoutes } from "./routes/availability-routes.js";
import { catalogRoutes } from "./routes/catalog-routes.js";
import { healthRoutes } from "./routes/health-routes.js";
import { reservationRoutes } from "./routes/reservation-routes.js";
import { sharedSchemas } from "./schemas.js";

export interface ApiOptions {
  bookingManager: BookingManagerClient;
  /** How callers prove who they are: API keys, and OAuth2 tokens where configured. */
  authentication: AuthenticationOptions;
  logger?: FastifyBaseLogger | boolean;
  /** Readiness; by default the booking manager answering a cheap call within a second. */
  ready?: () => Promise<boolean>;
  /** Told of every problem answered that the operation's schema does not declare (tests collect them); logged otherwise. */
  onUndeclaredProblem?: (operation: string, problem: ProblemName) => void;
}

export const apiVersion = "0.1.0";

/** The public REST API. It calls the booking manager and nothing else. */
export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: typeof options.logger === "object" ? options.logger : undefined,
    logger: typeof options.logger === "boolean" ? options.logger : undefined,
    ajv: { customOptions: { allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerProblemDetails(app, options.onUndeclaredProblem);
  registerAuthentication(app, options.authentication);
  registerRequestMetrics(app);
  for (const schema of sharedSchemas) app.addSchema(schema);

  // Registered before the routes, so that it sees them all.
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Booking Platform API",
        version: apiVersion,
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
      ],
      components: { securitySchemes: { [securitySchemeName]: securityScheme } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  // persistAuthorization: the key entered under "Authorize" survives a reload of the reference page.
  await app.register(swaggerUi, { routePrefix: "/docs", uiConfig: { persistAuthorization: true } });

  const bookingManager = options.bookingManager;
  const ready =
    options.ready ??
    (() =>
      bookingManager.listTreatments({}, { timeoutMs: 1000 }).then(
        () => true,
        () => false,
      ));
  await app.register(catalogRoutes, { bookingManager });
  await app.register(availabilityRoutes, { bookingManager });
  await app.register(reservationRoutes, { bookingManager });
  await app.register(healthRoutes, { ready });
  await app.register(problemPages);
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  return app;
}
