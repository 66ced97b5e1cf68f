import { type Static, Type } from "typebox";

/**
 * The admin API's data shapes (provider onboarding), each with an $id so that
 * it is a named component of the OpenAPI document and a named type of the
 * typed client. Every string, integer, number and array is bounded (OWASP API4).
 */
const text = (maxLength: number, options: Parameters<typeof Type.String>[0] = {}) => Type.String({ maxLength, ...options });
const instant = (description: string) => Type.String({ format: "date-time", maxLength: 40, description });
const count = (options: Parameters<typeof Type.Integer>[0] = {}) =>
  Type.Integer({ format: "int32", minimum: 0, maximum: 1_000_000_000, ...options });
const milliseconds = (description: string) => Type.Integer({ format: "int32", minimum: 0, maximum: 600_000, description });
const codes = (description: string) => Type.Array(text(200), { maxItems: 10_000, description });
const number = (description: string, maximum = 1e9) => Type.Number({ format: "double", minimum: 0, maximum, description });

export const instanceIdString = (options: Parameters<typeof Type.String>[0] = {}) =>
  Type.String({
    minLength: 1,
    maxLength: 63,
    pattern: "^[a-z0-9][a-z0-9-]*$",
    description: "Lower-case letters, digits and dashes; never reused, not even a retired instance's.",
    ...options,
  });

export const CredentialsSchema = Type.Object(
  {
    env: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        pattern: "^[A-Z_][A-Z0-9_]*$",
        description: "The name of an environment variable of provider access that holds the secret (provisioned with the deployment).",
        examples: ["FHIR_NORTH_TOKEN"],
      }),
    ),
    secretId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        pattern: "^[A-Za-z0-9/_+=.@:-]+$",
        description: "An AWS Secrets Manager secret's name or ARN: read on use, so a new secret needs no restart.",
      }),
    ),
  },
  {
    $id: "Credentials",
    title: "Credentials",
    description:
      "Where the instance's secret is, never the secret itself. Empty for a protocol without credentials (SMART Scheduling Links).",
    additionalProperties: false,
    maxProperties: 1,
  },
);

export const ResilienceSchema = Type.Object(
  {
    deadlineMs: Type.Optional(milliseconds("The whole call, retries included, must finish within this (default 3000).")),
    readRetries: Type.Optional(
      Type.Integer({ format: "int32", minimum: 0, maximum: 10, description: "Extra attempts for safe reads (default 2)." }),
    ),
    breakerThreshold: Type.Optional(
      Type.Integer({ format: "int32", minimum: 1, maximum: 10_000, description: "Consecutive faults that open the circuit (default 5)." }),
    ),
    halfOpenAfterMs: Type.Optional(milliseconds("How long the circuit stays open before a trial call (default 10000).")),
    maxConcurrent: Type.Optional(
      Type.Integer({ format: "int32", minimum: 1, maximum: 1000, description: "Calls in flight at once (default 10)." }),
    ),
    maxQueued: Type.Optional(
      Type.Integer({ format: "int32", minimum: 0, maximum: 10_000, description: "Calls waiting for a place (default 20)." }),
    ),
    catalogDeadlineMs: Type.Optional(milliseconds("Reading the whole catalog may take this long (default 60000).")),
  },
  {
    $id: "Resilience",
    title: "Resilience",
    description: "Overrides of the default resilience; unset fields keep the defaults.",
    additionalProperties: false,
  },
);

const settings = {
  adapter: Type.String({
    minLength: 1,
    maxLength: 64,
    description: "The protocol the instance speaks (GET /v1/admin/adapters lists them).",
    examples: ["fhir-r4"],
  }),
  baseUrl: Type.String({
    format: "uri",
    minLength: 8,
    maxLength: 2000,
    pattern: "^https?://",
    description: "Where the provider's API is: http:// or https:// only.",
  }),
  credentials: Type.Optional(Type.Unsafe<Static<typeof CredentialsSchema>>(Type.Ref("Credentials"))),
  timeZone: Type.String({
    minLength: 1,
    maxLength: 64,
    description: "IANA time zone for what the provider does not say itself.",
    examples: ["Europe/Stockholm"],
  }),
  resilience: Type.Optional(Type.Unsafe<Static<typeof ResilienceSchema>>(Type.Ref("Resilience"))),
  options: Type.Optional(
    Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), {
      maxProperties: 50,
      description: 'Protocol settings, documented per adapter (docs/providers.md), e.g. `{"states":["AB"]}` for a SMART feed.',
    }),
  ),
  displayName: Type.Optional(text(200, { description: "For people: the chain's name." })),
};

export const InstanceSettingsSchema = Type.Object(
  { id: instanceIdString(), ...settings },
  {
    $id: "InstanceSettings",
    title: "InstanceSettings",
    description: "A provider instance as an administrator describes it.",
    additionalProperties: false,
  },
);

export const InstanceUpdateSchema = Type.Object(settings, {
  $id: "InstanceUpdate",
  title: "InstanceUpdate",
  description: "An instance's new settings, whole (its id and adapter never change).",
  additionalProperties: false,
});

export const InstanceSchema = Type.Object(
  {
    id: instanceIdString(),
    ...settings,
    credentials: Type.Unsafe<Static<typeof CredentialsSchema>>(Type.Ref("Credentials")),
    state: Type.Union([Type.Literal("active"), Type.Literal("paused"), Type.Literal("retired")], {
      description:
        "active: searched and booked. paused: not searched, no new reservations (existing ones stay readable and cancellable). retired: gone for good.",
    }),
    stateReason: Type.Optional(text(500)),
    revision: count({ description: "Goes up by one with every change." }),
    createdAt: instant("When it was registered."),
    updatedAt: instant("When it last changed."),
  },
  { $id: "Instance", title: "Instance", description: "A clinic chain's deployment of a protocol the platform speaks." },
);

export const ProviderSlotSampleSchema = Type.Object(
  {
    providerSlotId: text(500),
    start: instant("UTC instant."),
    end: instant("UTC instant."),
    practitionerName: Type.Optional(text(200)),
    bookingLink: Type.Optional(Type.String({ format: "uri", maxLength: 2000 })),
    bookingPhone: Type.Optional(text(40)),
    remainingCapacity: Type.Optional(Type.Integer({ format: "int32", minimum: 0, maximum: 1_000_000 })),
  },
  { $id: "ProviderSlotSample", title: "ProviderSlotSample", description: "A free slot as the provider reports it, in its own ids." },
);

const providerClinic = {
  code: text(200),
  name: text(200),
  city: text(100),
  address: text(300),
  timeZone: text(64),
  phone: Type.Optional(text(40)),
  website: Type.Optional(text(2000)),
};
const providerTreatment = {
  code: text(200),
  name: text(200),
  durationMinutes: count({ description: "0 when the provider does not say." }),
  clinicCodes: codes("The provider's clinic codes where it is offered."),
};
const providerPractitioner = {
  code: text(200),
  name: text(200),
  clinicCode: text(200),
  treatmentCodes: codes("The treatment codes the practitioner gives."),
};

export const ConnectionReportSchema = Type.Object(
  {
    capabilities: Type.Object({
      supportsHold: Type.Boolean(),
      bookingMode: Type.Union([Type.Literal("api"), Type.Literal("deep-link")]),
      catalog: Type.Boolean({ description: "Whether the provider lists its catalog." }),
    }),
    catalog: Type.Object({
      clinics: Type.Array(Type.Object(providerClinic), { maxItems: 100_000 }),
      treatments: Type.Array(Type.Object(providerTreatment), { maxItems: 100_000 }),
      practitioners: Type.Array(Type.Object(providerPractitioner), { maxItems: 100_000 }),
    }),
    sample: Type.Optional(
      Type.Object({
        clinicCode: text(200),
        treatmentCode: text(200),
        from: instant("Start of the searched window."),
        to: instant("End of the searched window."),
        slots: Type.Array(Type.Unsafe<Static<typeof ProviderSlotSampleSchema>>(Type.Ref("ProviderSlotSample")), { maxItems: 20 }),
      }),
    ),
    elapsedMs: count({ description: "How long trying the instance took." }),
  },
  {
    $id: "ConnectionReport",
    title: "ConnectionReport",
    description: "What trying an instance found: what its adapter can do there, the provider's own catalog, and a sample search.",
  },
);

export const ProviderCatalogViewSchema = Type.Object(
  {
    instanceId: instanceIdString(),
    clinics: Type.Array(
      Type.Object({
        ...providerClinic,
        active: Type.Boolean({ description: "Listed by the provider at the last sync; inactive ones are skipped by searches." }),
        vaardenClinicId: Type.Optional(text(100, { description: "The Vården clinic it is mapped to." })),
      }),
      { maxItems: 100_000 },
    ),
    treatments: Type.Array(Type.Object({ ...providerTreatment, active: Type.Boolean(), vaardenTreatmentId: Type.Optional(text(100)) }), {
      maxItems: 100_000,
    }),
    practitioners: Type.Array(Type.Object({ ...providerPractitioner, active: Type.Boolean() }), { maxItems: 100_000 }),
    unmapped: Type.Object(
      {
        clinicCodes: codes("Active clinic codes mapped to no Vården clinic."),
        treatmentCodes: codes("Active treatment codes mapped to no Vården treatment."),
      },
      { description: "Nothing is dropped silently: what is not mapped is listed here." },
    ),
    activeOfferings: count({ description: "Clinic × treatment pairs searches find now." }),
  },
  {
    $id: "ProviderCatalog",
    title: "ProviderCatalog",
    description: "The provider's own catalog (its codes) as last synced, each code with its mapping to Vården's ids.",
  },
);

const syncCounts = Type.Object({ new: count(), changed: count(), gone: count(), unchanged: count() });

export const SyncSchema = Type.Object(
  {
    id: text(100),
    instanceId: instanceIdString(),
    state: Type.Union([Type.Literal("running"), Type.Literal("succeeded"), Type.Literal("failed"), Type.Literal("interrupted")], {
      description:
        "running: being recorded. succeeded: recorded, gone items marked inactive, offerings derived. failed: the provider could not be read; nothing marked gone. interrupted: stopped part-way; the next sync of the instance takes it over.",
    }),
    trigger: text(20, { description: "Who started it: api, cli, schedule, batch." }),
    progress: Type.Object(
      { done: count(), total: count() },
      { description: "Items of the provider's catalog recorded, of all it listed." },
    ),
    counts: Type.Object({ clinics: syncCounts, practitioners: syncCounts, treatments: syncCounts }),
    errors: Type.Array(text(500), { maxItems: 100 }),
    attempts: count({ description: "Drivers it took: 1, plus one per takeover after an interruption." }),
    startedAt: instant("When it began."),
    updatedAt: instant("Its last progress."),
    finishedAt: Type.Optional(instant("When it ended.")),
  },
  { $id: "Sync", title: "Sync", description: "One sync of one instance's catalog." },
);

export const HealthSchema = Type.Object(
  {
    instanceId: instanceIdString(),
    state: Type.Union([Type.Literal("active"), Type.Literal("paused"), Type.Literal("retired")]),
    circuitState: Type.Union([Type.Literal("closed"), Type.Literal("open"), Type.Literal("half-open"), Type.Literal("isolated")]),
    windowSeconds: count({ description: "The figures cover the last this many seconds (and at most the last 1000 calls)." }),
    calls: count(),
    failures: count(),
    errorRate: number("failures / calls (0 without calls).", 1),
    latencyMs: Type.Object({
      p50: number("Median."),
      p90: number("90th percentile."),
      p95: number("95th percentile."),
      p99: number("99th percentile."),
    }),
    errorsByKind: Type.Array(Type.Object({ kind: text(40), count: count(), rate: number("count / calls.", 1) }), { maxItems: 20 }),
    lastHour: Type.Array(
      Type.Object({
        start: instant("The minute's first instant."),
        calls: count(),
        failures: count(),
        latencyMs: Type.Object({
          p50: number("Median."),
          p95: number("95th percentile (of at most 500 of the minute's calls, drawn evenly)."),
        }),
        errorsByKind: Type.Array(Type.Object({ kind: text(40), count: count() }), { maxItems: 20 }),
      }),
      {
        maxItems: 60,
        description:
          "The last hour minute by minute, oldest first; minutes without calls are left out. As the provider access process that answered saw it, since `recordingSince`.",
      },
    ),
    recordingSince: Type.Optional(
      instant("When the provider access process that answered began counting (its start): no figure here covers anything before."),
    ),
    lastError: Type.Optional(Type.Object({ at: instant("When."), kind: text(40), operation: text(60), message: text(500) })),
    lastSuccessAt: Type.Optional(instant("The last call that succeeded.")),
    lastSuccessfulSync: Type.Optional(Type.Unsafe<Static<typeof SyncSchema>>(Type.Ref("Sync"))),
    lastSync: Type.Optional(Type.Unsafe<Static<typeof SyncSchema>>(Type.Ref("Sync"))),
  },
  {
    $id: "Health",
    title: "Health",
    description:
      "How calls to the instance went lately, as the provider access process that answered saw them (each keeps its own, in memory), and its catalog syncs.",
  },
);

export const adminSchemas = [
  CredentialsSchema,
  ResilienceSchema,
  InstanceSettingsSchema,
  InstanceUpdateSchema,
  InstanceSchema,
  ProviderSlotSampleSchema,
  ConnectionReportSchema,
  ProviderCatalogViewSchema,
  SyncSchema,
  HealthSchema,
];
