/**
 * How a provider call failed, in words the rest of the platform acts on:
 * - timeout: no answer within the deadline;
 * - unavailable: the provider is down or overloaded (5xx, connection refused);
 * - bad-response: it answered something we cannot read (HTML, wrong types, too big);
 * - rejected: it refused our credentials or request (401, 403, 4xx);
 * - not-found: it does not know what we asked for (404);
 * - slot-unavailable: the slot is taken or the hold has lapsed: a business answer, not a fault;
 * - circuit-open: we stopped calling it for a while after repeated faults;
 * - overloaded: too many of our calls to it are in flight already (bulkhead).
 */
export type ProviderErrorKind =
  | "timeout"
  | "unavailable"
  | "bad-response"
  | "rejected"
  | "not-found"
  | "slot-unavailable"
  | "circuit-open"
  | "overloaded";

export class ProviderError extends Error {
  constructor(
    readonly providerInstanceId: string,
    readonly kind: ProviderErrorKind,
    detail: string,
    /** The HTTP status that said so, where one did (a 401 and a 400 are both "rejected"). */
    readonly status?: number,
  ) {
    super(`provider ${providerInstanceId} ${describe(kind)}: ${detail}`);
    this.name = "ProviderError";
  }
}

function describe(kind: ProviderErrorKind): string {
  switch (kind) {
    case "timeout":
      return "timed out";
    case "unavailable":
      return "is unavailable";
    case "bad-response":
      return "sent a response we cannot read";
    case "rejected":
      return "rejected the request";
    case "not-found":
      return "does not know the resource";
    case "slot-unavailable":
      return "no longer has the slot";
    case "circuit-open":
      return "is not being called";
    case "overloaded":
      return "is at our concurrency limit";
  }
}
