/**
 * Every problem the REST API can answer, declared once: its HTTP status, its
 * title, and when it happens. A problem body's `type` is `/problems/<name>`,
 * a page this API serves (problem-pages.ts), and its `code` is `<name>`.
 * Answers take their status from here, never from the code that raises them,
 * so the two cannot disagree. docs/reference/problems.md is generated from
 * this file, and the OpenAPI document lists each operation's problems; a test
 * (problem-catalog.spec.ts) fails when code, catalog and documents drift apart.
 */
export interface ProblemType {
  status: number;
  title: string;
  /** When it happens and what the caller can do, for the problem's page. */
  when: string;
}

export const problemCatalog = {
  validation: {
    status: 400,
    title: "Invalid request",
    when: "A query parameter, header or body field is missing or malformed. `errors` names each one with the reason.",
  },
  "malformed-request": {
    status: 400,
    title: "Malformed request",
    when: "The body is not valid JSON, is empty where one is required, or the request cannot be read at all.",
  },
  "slot-id-invalid": {
    status: 400,
    title: "Unknown slot id",
    when: "The `slotId` was not handed out by this platform, or was altered. Pass slot ids from `GET /v1/availability` unchanged.",
  },
  unauthenticated: {
    status: 401,
    title: "Not authenticated",
    when: "The request carries no credential, or one that is unknown, revoked or expired. Send `Authorization: Bearer <API key>` (or an OAuth2 access token where configured).",
  },
  forbidden: {
    status: 403,
    title: "Missing scope",
    when: "The credential is valid but lacks the scope this operation needs (`availability:read`, `reservations:read`, `reservations:write` or `admin`). The detail names it.",
  },
  "not-found": {
    status: 404,
    title: "Not found",
    when: "No such route, reservation, treatment or clinic (or the clinic does not offer the treatment), provider instance or catalog sync. The detail says which.",
  },
  "method-not-allowed": {
    status: 405,
    title: "Method not allowed",
    when: "The path exists, but not with this HTTP method. The `Allow` header lists the methods it takes.",
  },
  "request-timeout": {
    status: 408,
    title: "Request too slow",
    when: "The request (its headers and body) did not arrive within 10 seconds. Send it again, whole.",
  },
  "slot-taken": {
    status: 409,
    title: "Slot no longer available",
    when: "The slot was taken since the search, at the provider or by another reservation here. Search again and pick another slot.",
  },
  "request-in-progress": {
    status: 409,
    title: "Request still in progress",
    when: "A request with the same Idempotency-Key is still being processed. Retry with the same key a little later.",
  },
  "reservation-pending": {
    status: 409,
    title: "Reservation still being verified",
    when: "The provider has not yet told us whether it took the reservation (status `pending`). Retry shortly; the reservation settles on its own.",
  },
  "concurrent-change": {
    status: 409,
    title: "Changed meanwhile",
    when: "The reservation changed while this request was being handled. Read it again, then retry if the request still makes sense.",
  },
  "body-too-large": {
    status: 413,
    title: "Body too large",
    when: "The request body is larger than the API accepts.",
  },
  "uri-too-long": {
    status: 414,
    title: "URI too long",
    when: "A path parameter is longer than any id this API hands out (200 characters).",
  },
  "unsupported-media-type": {
    status: 415,
    title: "Unsupported media type",
    when: "The body's Content-Type is not `application/json` (or a body-less POST carried one that needs a body).",
  },
  "slot-expired": {
    status: 422,
    title: "Slot id expired",
    when: "The `slotId` comes from a search more than a day ago. Search again: the slot may be gone, and a fresh search gives a fresh id.",
  },
  "rate-limited": {
    status: 429,
    title: "Too many requests",
    when: "Your client system sent more requests in the last minute than its limit for this kind of request (see the README's rate limits). Wait as long as `Retry-After` says; the `RateLimit-*` headers show the limit and what is left.",
  },
  "headers-too-large": {
    status: 431,
    title: "Headers too large",
    when: "The request's header section is larger than 16 KiB.",
  },
  "hold-expired": {
    status: 422,
    title: "Hold expired",
    when: "The hold on the slot lapsed before it was confirmed (here or at the provider). Reserve again.",
  },
  "lead-time": {
    status: 422,
    title: "Too soon to reserve",
    when: "The slot starts sooner than the treatment's `minLeadMinutes` from now. Pick a later slot.",
  },
  "slot-in-past": {
    status: 422,
    title: "Slot already begun",
    when: "The slot (or the appointment being cancelled) has already begun.",
  },
  "cancellation-window": {
    status: 422,
    title: "Too late to cancel",
    when: "The appointment starts within the treatment's `cancellationWindowHours`. The patient must contact the clinic.",
  },
  "idempotency-key-reused": {
    status: 422,
    title: "Idempotency-Key reused",
    when: "The Idempotency-Key was used before with a different request body. Use a new key for a new request.",
  },
  "deep-link-only": {
    status: 422,
    title: "Book on the provider's site",
    when: "The provider takes bookings on its own site only: send the patient to the slot's `bookingLink` instead.",
  },
  "reservation-state": {
    status: 422,
    title: "Not possible in this state",
    when: "The reservation's status does not allow this, e.g. confirming a cancelled reservation or cancelling a released one.",
  },
  "provider-paused": {
    status: 422,
    title: "Provider paused",
    when: "The clinic's booking provider is paused by the platform's administrators: its slots are not offered and new reservations are refused. Existing reservations can still be read, confirmed and cancelled. Try again once it is resumed.",
  },
  "adapter-unknown": {
    status: 422,
    title: "Unknown adapter",
    when: "The `adapter` of a provider instance names no protocol the platform speaks. The detail lists the known ones (also `GET /v1/admin/adapters`).",
  },
  "provider-unreachable": {
    status: 422,
    title: "Provider unreachable",
    when: "Nothing answered at the instance's `baseUrl` in time (connection refused, no such host, a hang), or it answered only server errors. Check the URL and that the provider lets the platform in.",
  },
  "provider-credentials-refused": {
    status: 422,
    title: "Credentials refused",
    when: "The provider refused the instance's credentials (401 or 403). Check the secret that `credentials` names.",
  },
  "provider-protocol-mismatch": {
    status: 422,
    title: "Not the adapter's protocol",
    when: "Something answered at the instance's `baseUrl`, but not in the protocol of its `adapter` (a web page, another API, a missing endpoint). Check the URL and the adapter.",
  },
  "credentials-unresolved": {
    status: 422,
    title: "Credentials not found",
    when: "The environment variable or Secrets Manager secret that `credentials` names is not there for the platform to read. Provision it first; the platform never takes the secret itself.",
  },
  "instance-state": {
    status: 422,
    title: "Not possible in this instance state",
    when: "The provider instance's state (`active`, `paused`, `retired`) does not allow this, e.g. resuming or syncing a retired instance.",
  },
  "mapping-target-unknown": {
    status: 422,
    title: "Unknown Vården id",
    when: "A mapping names a Vården clinic or treatment that does not exist. Create the clinic from the provider's data (`createClinic`) or use an id from `GET /v1/clinics` / `GET /v1/treatments`.",
  },
  "provider-code-unknown": {
    status: 422,
    title: "Unknown provider code",
    when: "A mapping names a clinic or treatment code that is not in the provider's catalog as last synced. Sync the instance first, then map the codes its catalog lists.",
  },
  "provider-not-connected": {
    status: 422,
    title: "Provider not connected",
    when: "The clinic's booking provider is not connected to the platform (any more). Its slots cannot be reserved.",
  },
  "instance-exists": {
    status: 409,
    title: "Instance exists",
    when: "A provider instance with this id is already registered (ids are never reused, not even a retired instance's). Choose another id, or update the existing instance.",
  },
  "mapping-conflict": {
    status: 409,
    title: "Mapping conflict",
    when: "The mapping would give one Vården clinic a second provider instance or a second provider clinic, or one clinic's treatment two provider codes. The detail names the clash.",
  },
  internal: {
    status: 500,
    title: "Internal error",
    when: "Something failed inside the platform. Nothing about it is shown; it is logged with the request's trace id.",
  },
  "provider-error": {
    status: 502,
    title: "Provider failed",
    when: "The clinic's booking provider refused our request or answered something we could not read. The detail names the provider.",
  },
  "not-supported": {
    status: 501,
    title: "Not supported by the provider",
    when: "The clinic's booking provider does not offer this operation (for example cancelling through its API).",
  },
  "provider-unavailable": {
    status: 503,
    title: "Provider unavailable",
    when: "The booking provider did not answer in time, is down, or calls to it are paused after repeated faults. Try again later; the detail names the provider.",
  },
  "service-unavailable": {
    status: 503,
    title: "Service unavailable",
    when: "A service behind the API did not answer (restarting or overloaded). Try again shortly.",
  },
  timeout: {
    status: 504,
    title: "Took too long",
    when: "The platform could not answer within its deadline (10 s): a service, the database or a provider is slow or stuck. Retry; retry a reservation with the same Idempotency-Key.",
  },
  "not-ready": {
    status: 503,
    title: "Not ready",
    when: "Readiness probe only: the services behind the API do not answer yet.",
  },
} as const satisfies Record<string, ProblemType>;

export type ProblemName = keyof typeof problemCatalog;

export const problemNames = Object.keys(problemCatalog) as ProblemName[];

/** Where a problem type's page is, and so the `type` of its bodies: on this API itself. */
export const problemTypeUri = (name: ProblemName) => `/problems/${name}`;
