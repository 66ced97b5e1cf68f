import { timingSafeEqual } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * Internal gRPC services trust only the platform: every call carries the
 * environment's platform token in its metadata, and every service refuses a
 * call without it (Unauthenticated), whoever can reach its port. Mutual TLS
 * between services in AWS is designed (docs/security.md) but not built: today
 * the token is the check, in every environment, locally included.
 *
 * Rotation: callers send the current token; services accept the current and
 * the previous one (`BP_PLATFORM_TOKEN_PREVIOUS`) until every caller has
 * been restarted with the new one.
 */
export const platformTokenHeader = "x-platform-token";

export function platformCredentialClientInterceptor(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set(platformTokenHeader, token);
    return next(req);
  };
}

export function platformCredentialServerInterceptor(accepted: string[]): Interceptor {
  const tokens = accepted.map((token) => Buffer.from(token));
  return (next) => (req) => {
    const given = Buffer.from(req.header.get(platformTokenHeader) ?? "");
    if (!tokens.some((token) => token.length === given.length && timingSafeEqual(token, given))) {
      throw new ConnectError("this service answers calls from inside the platform only", Code.Unauthenticated);
    }
    return next(req);
  };
}
