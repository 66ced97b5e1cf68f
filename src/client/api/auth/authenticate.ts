import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from "jose";
import { LRUCache } from "lru-cache";
import type { Scope } from "../../../utilities/security/api-keys.js";
import { scopes as knownScopes } from "../../../utilities/security/api-keys.js";
import type { KeyVerifier } from "../../../utilities/security/key-verifier.js";
import { sendProblem } from "../problems/problem-details.js";
import { requiredScope } from "./security.js";

/** Who is calling: a client system, what it may do, and how it proved it. */
export interface Principal {
  clientId: string;
  scopes: Scope[];
  credential: "api-key" | "oauth2";
  /** The API key's id or the token's `jti`, for logs; never the secret. */
  credentialId: string;
}

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface OAuthSettings {
  jwksUrl: string;
  issuer: string;
  audience: string;
}

export interface AuthenticationOptions {
  apiKeys: KeyVerifier;
  /** Refused credentials an address may send a minute before it gets 429 (default 30). */
  maxFailuresPerMinute?: number;
  /** OAuth2 client-credential JWTs, where configured. */
  oauth?: OAuthSettings;
}

/** BP_OAUTH_JWKS_URL, BP_OAUTH_ISSUER and BP_OAUTH_AUDIENCE together, or none of them. */
export function oauthSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): OAuthSettings | undefined {
  const { BP_OAUTH_JWKS_URL: jwksUrl, BP_OAUTH_ISSUER: issuer, BP_OAUTH_AUDIENCE: audience } = env;
  if (!jwksUrl && !issuer && !audience) return undefined;
  if (!jwksUrl || !issuer || !audience) throw new Error("OAuth2 needs all of BP_OAUTH_JWKS_URL, BP_OAUTH_ISSUER and BP_OAUTH_AUDIENCE");
  return { jwksUrl, issuer, audience };
}

const realm = 'Bearer realm="booking-platform"';

/**
 * Every route whose schema requires a scope needs a credential: 401 without
 * one (or with one that is unknown, revoked or expired), 403 when it lacks the
 * scope; both problem+json with a WWW-Authenticate header (RFC 6750). The
 * verified caller is `request.principal`.
 */
export function registerAuthentication(app: FastifyInstance, options: AuthenticationOptions): void {
  const jwks = options.oauth ? createRemoteJWKSet(new URL(options.oauth.jwksUrl), { cacheMaxAge: 10 * 60_000 }) : undefined;

  const fromJwt = async (token: string): Promise<Principal | undefined> => {
    if (!jwks || !options.oauth) return undefined;
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer: options.oauth.issuer, audience: options.oauth.audience });
      const clientId = stringClaim(payload, "client_id") ?? stringClaim(payload, "azp") ?? payload.sub;
      if (!clientId) return undefined;
      const granted = grantedScopes(payload).filter((s): s is Scope => (knownScopes as readonly string[]).includes(s));
      return { clientId, scopes: granted, credential: "oauth2", credentialId: payload.jti ?? "" };
    } catch {
      // Bad signature, wrong issuer or audience, expired: not a credential of ours.
      return undefined;
    }
  };

  // Refused credentials, per address and minute: guessing keys is cut short before it reaches the table.
  const failures = new LRUCache<string, { count: number }>({ max: 50_000, ttl: 60_000, ttlAutopurge: false });
  const maxFailuresPerMinute = options.maxFailuresPerMinute ?? 30;

  app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    const scope = requiredScope(request.routeOptions.schema as never);
    if (!scope) return;
    const failed = failures.get(request.ip);
    if (failed && failed.count >= maxFailuresPerMinute) {
      reply.header("retry-after", Math.ceil(failures.getRemainingTTL(request.ip) / 1000));
      return sendProblem(
        request,
        reply,
        "rate-limited",
        `more than ${maxFailuresPerMinute} refused credentials from this address in a minute`,
      );
    }
    const refuse = (challenge: string, detail: string) => {
      if (failed) failed.count++;
      else failures.set(request.ip, { count: 1 });
      reply.header("www-authenticate", challenge);
      return sendProblem(request, reply, "unauthenticated", detail);
    };
    const header = request.headers.authorization ?? "";
    const token = /^Bearer +(\S{1,2048})$/i.exec(header)?.[1];
    if (!token) return refuse(realm, "send Authorization: Bearer <API key>");
    const principal = token.startsWith("bp_") ? await fromApiKey(options.apiKeys, token) : await fromJwt(token);
    if (!principal) return refuse(`${realm}, error="invalid_token"`, "the credential is unknown, revoked or expired");
    request.principal = principal;
    request.log = request.log.child({ clientId: principal.clientId, credentialId: principal.credentialId });
    if (scope !== "none" && !principal.scopes.includes(scope)) {
      reply.header("www-authenticate", `${realm}, error="insufficient_scope", scope="${scope}"`);
      return sendProblem(request, reply, "forbidden", `this operation needs the scope ${scope}`);
    }
  });
}

async function fromApiKey(keys: KeyVerifier, token: string): Promise<Principal | undefined> {
  const record = await keys.verify(token);
  return record && { clientId: record.clientId, scopes: record.scopes, credential: "api-key", credentialId: record.keyId };
}

function stringClaim(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  return typeof value === "string" && value ? value : undefined;
}

function grantedScopes(payload: JWTPayload): string[] {
  if (typeof payload.scope === "string") return payload.scope.split(" ").filter(Boolean);
  if (Array.isArray(payload.scp)) return payload.scp.map(String);
  return [];
}

/** The caller of a route that requires a credential (the hook ran before the handler). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error(`route ${request.routeOptions.url} needs a credential but declares no scope`);
  return request.principal;
}
