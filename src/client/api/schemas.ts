import { type Static, type TSchema, Type } from "typebox";
import { type ProblemName, problemCatalog, problemNames, problemTypeUri } from "./problems/problem-catalog.js";

/** Strings with a bound: every string the API reads or writes has one (OWASP API4). */
const text = (maxLength: number, options: Parameters<typeof Type.String>[0] = {}) => Type.String({ maxLength, ...options });
/** Ids this platform or a provider hands out: letters, digits and a few separators. */
export const idString = (options: Parameters<typeof Type.String>[0] = {}) =>
  Type.String({ minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9][A-Za-z0-9._:-]*$", ...options });
const instant = (description: string) => Type.String({ format: "date-time", maxLength: 40, description });
const count = (options: Parameters<typeof Type.Integer>[0] = {}) =>
  Type.Integer({ format: "int32", minimum: 0, maximum: 1_000_000, ...options });

/**
 * The public data shapes. Each has an $id: @fastify/swagger turns them into
 * named components of the OpenAPI document, and so into named types of the
 * generated client (components["schemas"]["Slot"] …).
 */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({
      maxLength: 100,
      format: "uri-reference",
      description: "Names the kind of problem: `/problems/<code>`, a page on this API that says when it happens and what to do.",
      examples: ["/problems/slot-taken"],
    }),
    // An enum of the catalog's names, so that the typed client knows every code.
    code: Type.Unsafe<ProblemName>({
      type: "string",
      enum: problemNames,
      description: "The kind of problem as a stable machine code: act on this, never on `title` or `detail`.",
    }),
    title: text(100, { description: "Short summary of the kind of problem." }),
    status: Type.Integer({ format: "int32", minimum: 400, maximum: 599, description: "The HTTP status code." }),
    detail: Type.Optional(text(2000, { description: "What went wrong this time, for a person." })),
    instance: Type.Optional(text(2000, { description: "The request path." })),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          name: text(200, { description: "The field or parameter, e.g. `from` or `body.patient.email`." }),
          reason: text(500),
        }),
        { maxItems: 100, description: "For validation problems: every field that is wrong." },
      ),
    ),
  },
  {
    $id: "Problem",
    title: "Problem",
    description: "An RFC 9457 problem details object (application/problem+json). The problem types are listed at /problems.",
    additionalProperties: true,
  },
);
export type Problem = Static<typeof ProblemSchema>;

export const TreatmentSchema = Type.Object(
  {
    id: idString(),
    name: text(200),
    description: text(2000),
    durationMinutes: count(),
    minLeadMinutes: count({ description: "A reservation must start at least this long from now." }),
    cancellationWindowHours: count({ description: "A reservation may be cancelled until this long before it starts." }),
  },
  { $id: "Treatment", title: "Treatment" },
);

export const ClinicSchema = Type.Object(
  {
    id: idString(),
    name: text(200),
    city: text(100),
    address: text(300),
    timeZone: text(64, { description: "IANA time zone; slots are shown in it.", examples: ["Europe/Stockholm"] }),
    treatmentIds: Type.Array(idString(), { maxItems: 1000 }),
    providerInstanceId: idString(),
  },
  { $id: "Clinic", title: "Clinic" },
);

export const SlotSchema = Type.Object(
  {
    slotId: text(2000, { description: "Opaque and tamper-proof: pass it unchanged to reserve the slot." }),
    clinicId: idString(),
    treatmentId: idString(),
    start: instant("UTC instant."),
    end: instant("UTC instant."),
    localStart: instant("The same instant in the clinic's time zone, RFC 3339 with offset."),
    localEnd: instant("The end in the clinic's time zone."),
    timeZone: text(64),
    practitionerName: text(200),
    providerInstanceId: idString(),
    bookingLink: Type.Optional(
      Type.String({
        format: "uri",
        maxLength: 2000,
        description: "Set when the provider takes bookings on its own site only: send the patient here instead of POST /v1/reservations.",
      }),
    ),
    bookingPhone: Type.Optional(
      Type.String({
        maxLength: 40,
        description: "Set when the provider publishes a phone number for booking this slot.",
        examples: ["+46 8 555 000 00"],
      }),
    ),
    remainingCapacity: Type.Optional(
      Type.Integer({
        format: "int32",
        minimum: 1,
        maximum: 1_000_000,
        description:
          "Places left in the slot, where one slot takes several patients (a mass vaccination site's hour, say). Absent: one place.",
      }),
    ),
  },
  { $id: "Slot", title: "Slot" },
);

export const ProviderOutcomeSchema = Type.Object(
  {
    providerInstanceId: idString(),
    status: Type.Union([Type.Literal("ok"), Type.Literal("timeout"), Type.Literal("error"), Type.Literal("circuit-open")]),
    detail: Type.Optional(text(500)),
    slotCount: count(),
    asOf: Type.Optional(
      Type.String({
        format: "date-time",
        maxLength: 40,
        description: "When this provider said so: its part of the answer may come from a cache, never older than the provider's bound.",
      }),
    ),
  },
  { $id: "ProviderOutcome", title: "ProviderOutcome", description: "How one provider answered this search." },
);

export const PatientSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    personalIdentityNumber: Type.Optional(
      Type.String({
        maxLength: 13,
        pattern: "^(\\d{2})?\\d{6}[-+]?\\d{4}$",
        description: "Swedish personnummer (or samordningsnummer), YYYYMMDD-NNNN or YYMMDD-NNNN; `+` for 100 years or older.",
      }),
    ),
    dateOfBirth: Type.Optional(Type.String({ format: "date", maxLength: 10 })),
    phone: Type.String({ minLength: 5, maxLength: 30, pattern: "^[0-9+() -]+$" }),
    email: Type.String({ format: "email", maxLength: 254 }),
  },
  { $id: "Patient", title: "Patient", description: "Personal data: never logged.", additionalProperties: false },
);

export const ReservationSchema = Type.Object(
  {
    id: idString(),
    status: Type.Union(
      [
        Type.Literal("pending"),
        Type.Literal("held"),
        Type.Literal("confirmed"),
        Type.Literal("cancelled"),
        Type.Literal("released"),
        Type.Literal("expired"),
      ],
      {
        description:
          "pending: the provider has not answered yet; we are verifying with it (poll this reservation). " +
          "held: the slot is held until holdExpiresAt; confirm before then. confirmed: booked at the provider. " +
          "cancelled: by the patient. released: the provider did not take it. expired: the hold lapsed.",
      },
    ),
    slotId: text(2000),
    treatmentId: idString(),
    clinicId: idString(),
    start: instant("UTC instant."),
    end: instant("UTC instant."),
    localStart: instant("The start in the clinic's time zone, RFC 3339 with offset."),
    localEnd: instant("The end in the clinic's time zone."),
    timeZone: text(64),
    patientId: idString({ description: "Opaque id of the patient: use it to list their reservations." }),
    holdExpiresAt: Type.Optional(instant("Until when the slot is held; confirm before then.")),
    statusReason: Type.Optional(text(500)),
  },
  { $id: "Reservation", title: "Reservation" },
);

export const sharedSchemas = [
  ProblemSchema,
  TreatmentSchema,
  ClinicSchema,
  SlotSchema,
  ProviderOutcomeSchema,
  PatientSchema,
  ReservationSchema,
];

/**
 * Reference a shared schema by its $id, keeping its static type for the
 * handlers (TypeBox's string Ref alone would type the value as unknown).
 */
export const ref = <T extends TSchema & { $id?: string }>(schema: T) => Type.Unsafe<Static<T>>(Type.Ref(schema.$id!));

/**
 * The IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers) every
 * rate-limited answer carries: the limit of the client for this kind of
 * request, what is left of it, and the seconds until the window resets.
 */
export const rateLimitHeaders = {
  "RateLimit-Limit": Type.Integer({ format: "int32", minimum: 0, maximum: 1_000_000_000, description: "Requests allowed in the window." }),
  "RateLimit-Remaining": Type.Integer({ format: "int32", minimum: 0, maximum: 1_000_000_000, description: "Requests left in the window." }),
  "RateLimit-Reset": Type.Integer({ format: "int32", minimum: 0, maximum: 86_400, description: "Seconds until the window resets." }),
};
const retryAfterHeader = {
  "Retry-After": Type.Integer({ format: "int32", minimum: 0, maximum: 86_400, description: "Seconds to wait before trying again." }),
};

/** A success answer of a rate-limited operation: its body schema, and the RateLimit headers it carries. */
export const limited = <T extends TSchema>(schema: T) => ({ ...schema, headers: rateLimitHeaders }) as T;

/** Problems any operation can answer: something below the API failed. */
export const alwaysPossible = ["rate-limited", "internal", "service-unavailable", "timeout"] as const satisfies ProblemName[];
/** Problems of an operation that needs a credential. */
export const authenticated = ["unauthenticated", "forbidden"] as const satisfies ProblemName[];
/** Problems of reading a JSON body. */
export const withBody = ["malformed-request", "body-too-large", "unsupported-media-type"] as const satisfies ProblemName[];
/** A POST without a body can still carry a Content-Type that needs one. */
export const bodyLess = ["malformed-request", "unsupported-media-type"] as const satisfies ProblemName[];

/**
 * The problems an operation can answer, as OpenAPI responses: one per status,
 * its description naming each problem type (linked to its page), each with an
 * example body under its own name.
 */
export function problemResponses(...names: ProblemName[]) {
  const byStatus = new Map<number, ProblemName[]>();
  for (const name of names) byStatus.set(problemCatalog[name].status, [...(byStatus.get(problemCatalog[name].status) ?? []), name]);
  return Object.fromEntries(
    [...byStatus].map(([status, problems]) => [
      status,
      {
        description: problems.map((name) => `[${name}](${problemTypeUri(name)}): ${problemCatalog[name].title}`).join("; "),
        // 4xx answers are counted against the client's rate limit too, and say where it stands; a 429 says when to retry.
        ...(status < 500 ? { headers: status === 429 ? { ...rateLimitHeaders, ...retryAfterHeader } : rateLimitHeaders } : {}),
        content: {
          "application/problem+json": {
            schema: ref(ProblemSchema),
            examples: Object.fromEntries(
              problems.map((name) => [
                name,
                {
                  summary: problemCatalog[name].title,
                  value: { type: problemTypeUri(name), code: name, title: problemCatalog[name].title, status },
                },
              ]),
            ),
          },
        },
      },
    ]),
  );
}
