import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { type ProblemName, problemCatalog, problemNames, problemTypeUri } from "./problems/problem-catalog.js";

/**
 * The public data shapes. Each has an $id: @fastify/swagger turns them into
 * named components of the OpenAPI document, and so into named types of the
 * generated client (components["schemas"]["Slot"] …).
 */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({
      description: "Names the kind of problem: `/problems/<code>`, a page on this API that says when it happens and what to do.",
      examples: ["/problems/slot-taken"],
    }),
    code: Type.Union(
      problemNames.map((name) => Type.Literal(name)),
      { description: "The kind of problem as a stable machine code: act on this, never on `title` or `detail`." },
    ),
    title: Type.String({ description: "Short summary of the kind of problem." }),
    status: Type.Integer({ description: "The HTTP status code." }),
    detail: Type.Optional(Type.String({ description: "What went wrong this time, for a person." })),
    instance: Type.Optional(Type.String({ description: "The request path." })),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          name: Type.String({ description: "The field or parameter, e.g. `from` or `body.patient.email`." }),
          reason: Type.String(),
        }),
        { description: "For validation problems: every field that is wrong." },
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
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    durationMinutes: Type.Integer(),
    minLeadMinutes: Type.Integer({ description: "A reservation must start at least this long from now." }),
    cancellationWindowHours: Type.Integer({ description: "A reservation may be cancelled until this long before it starts." }),
  },
  { $id: "Treatment", title: "Treatment" },
);

export const ClinicSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    city: Type.String(),
    address: Type.String(),
    timeZone: Type.String({ description: "IANA time zone; slots are shown in it.", examples: ["Europe/Stockholm"] }),
    treatmentIds: Type.Array(Type.String()),
    providerInstanceId: Type.String(),
  },
  { $id: "Clinic", title: "Clinic" },
);

export const SlotSchema = Type.Object(
  {
    slotId: Type.String({ description: "Opaque and tamper-proof: pass it unchanged to reserve the slot." }),
    clinicId: Type.String(),
    treatmentId: Type.String(),
    start: Type.String({ format: "date-time", description: "UTC instant." }),
    end: Type.String({ format: "date-time", description: "UTC instant." }),
    localStart: Type.String({ description: "The same instant in the clinic's time zone, RFC 3339 with offset." }),
    localEnd: Type.String(),
    timeZone: Type.String(),
    practitionerName: Type.String(),
    providerInstanceId: Type.String(),
    bookingLink: Type.Optional(
      Type.String({
        format: "uri",
        description: "Set when the provider takes bookings on its own site only: send the patient here instead of POST /v1/reservations.",
      }),
    ),
    bookingPhone: Type.Optional(
      Type.String({ description: "Set when the provider publishes a phone number for booking this slot.", examples: ["+46 8 555 000 00"] }),
    ),
    remainingCapacity: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          "Places left in the slot, where one slot takes several patients (a mass vaccination site's hour, say). Absent: one place.",
      }),
    ),
  },
  { $id: "Slot", title: "Slot" },
);

export const ProviderOutcomeSchema = Type.Object(
  {
    providerInstanceId: Type.String(),
    status: Type.Union([Type.Literal("ok"), Type.Literal("timeout"), Type.Literal("error"), Type.Literal("circuit-open")]),
    detail: Type.Optional(Type.String()),
    slotCount: Type.Integer(),
  },
  { $id: "ProviderOutcome", title: "ProviderOutcome", description: "How one provider answered this search." },
);

export const PatientSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    personalIdentityNumber: Type.Optional(
      Type.String({ pattern: "^(\\d{2})?\\d{6}[-+]?\\d{4}$", description: "Swedish personnummer, YYYYMMDD-NNNN or YYMMDD-NNNN." }),
    ),
    dateOfBirth: Type.Optional(Type.String({ format: "date" })),
    phone: Type.String({ minLength: 5, maxLength: 30 }),
    email: Type.String({ format: "email" }),
  },
  { $id: "Patient", title: "Patient", description: "Personal data: never logged." },
);

export const ReservationSchema = Type.Object(
  {
    id: Type.String(),
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
    slotId: Type.String(),
    treatmentId: Type.String(),
    clinicId: Type.String(),
    start: Type.String({ format: "date-time", description: "UTC instant." }),
    end: Type.String({ format: "date-time", description: "UTC instant." }),
    localStart: Type.String({ description: "The start in the clinic's time zone, RFC 3339 with offset." }),
    localEnd: Type.String(),
    timeZone: Type.String(),
    patientId: Type.String({ description: "Opaque id of the patient: use it to list their reservations." }),
    holdExpiresAt: Type.Optional(Type.String({ format: "date-time" })),
    statusReason: Type.Optional(Type.String()),
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
export const ref = <T extends TSchema>(schema: T) => Type.Unsafe<Static<T>>(Type.Ref(schema.$id!));

/** Problems any operation can answer: something below the API failed. */
export const alwaysPossible = ["internal", "service-unavailable"] as const satisfies ProblemName[];
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
