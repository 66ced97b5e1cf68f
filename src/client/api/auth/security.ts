import type { Scope } from "../../../utilities/security/api-keys.js";

/**
 * The one security scheme of the REST API: `Authorization: Bearer <credential>`,
 * where the credential is an API key (bp_live_…) or, where configured, an
 * OAuth2 client-credentials access token (a JWT). Each operation lists the
 * scope it needs; OpenAPI 3.1 allows scopes (roles) on any scheme, and the
 * authentication hook enforces exactly what the document declares.
 */
export const securitySchemeName = "bearerAuth";

export const securityScheme = {
  type: "http",
  scheme: "bearer",
  bearerFormat: "API key (bp_live_…) or OAuth2 access token (JWT)",
  description:
    "An API key of your client system (`npm run keys -- create`), or, where the platform is configured for it, an OAuth2 " +
    "client-credentials access token from your identity provider. Each operation lists the scope it needs: " +
    "`availability:read`, `reservations:read`, `reservations:write` or `admin`.",
} as const;

/** Spread into a route's schema: the credential and the scope the operation needs. */
export function requires(scope: Scope) {
  return { security: [{ [securitySchemeName]: [scope] }] };
}

/** The scope a route's schema requires, or undefined for an open route (health, docs, problem pages). */
export function requiredScope(schema: { security?: Array<Record<string, string[]>> } | undefined): Scope | "none" | undefined {
  const requirement = schema?.security?.[0];
  if (!requirement) return undefined;
  return (requirement[securitySchemeName]?.[0] as Scope | undefined) ?? "none";
}
