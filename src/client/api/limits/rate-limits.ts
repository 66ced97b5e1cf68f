import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Scope } from "../../../utilities/security/api-keys.js";
import { requiredScope } from "../auth/security.js";
import { HttpProblem } from "../problems/problem-details.js";

/**
 * Requests per minute, per client system and scope (every API process counts
 * on its own: with N processes behind the load balancer a client gets up to N
 * times these). Open routes (health, docs, problem pages) count per address.
 * BP_RATE_LIMITS overrides them as JSON, e.g. {"availability:read":60000}.
 */
export const defaultRateLimits: Record<Scope | "open", number> = {
  "availability:read": 6000,
  "reservations:read": 600,
  "reservations:write": 120,
  admin: 300,
  open: 600,
};

export function rateLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): Record<Scope | "open", number> {
  if (!env.BP_RATE_LIMITS) return defaultRateLimits;
  const given = JSON.parse(env.BP_RATE_LIMITS) as Record<string, unknown>;
  for (const [scope, limit] of Object.entries(given)) {
    if (!(scope in defaultRateLimits) || typeof limit !== "number" || limit < 1) {
      throw new Error(`BP_RATE_LIMITS: ${scope} must be one of ${Object.keys(defaultRateLimits).join(", ")} with a positive number`);
    }
  }
  return { ...defaultRateLimits, ...(given as Partial<Record<Scope | "open", number>>) };
}

const bucketOf = (request: FastifyRequest): Scope | "open" => {
  const scope = requiredScope(request.routeOptions.schema as never);
  return scope && scope !== "none" ? scope : "open";
};

/**
 * Per client and scope, counted after authentication (so a request is counted
 * against the client it proves to be, never against one it merely names):
 * 429 problem+json with Retry-After and the IETF RateLimit headers.
 * Requests refused for their credential are limited per address by the
 * authentication hook's own counter, before any key is looked up.
 */
export async function registerRateLimits(app: FastifyInstance, limits = rateLimitsFromEnv()): Promise<void> {
  await app.register(rateLimit, {
    hook: "preHandler",
    timeWindow: 60_000,
    enableDraftSpec: true,
    max: (request) => limits[bucketOf(request)],
    keyGenerator: (request) => `${request.principal?.clientId ?? `ip:${request.ip}`}|${bucketOf(request)}`,
    errorResponseBuilder: (request, context) =>
      new HttpProblem(
        "rate-limited",
        `${request.principal ? `client ${request.principal.clientId}` : "this address"} sent more than ${context.max} requests a minute for ${bucketOf(request)}; retry after ${context.after}`,
      ),
  });
}
