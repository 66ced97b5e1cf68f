import type { JsonObject } from "@bufbuild/protobuf";
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type Static, Type } from "typebox";
import { type CatalogSync, type MappedProviderCatalog, SyncState } from "../../../contracts/v1/provider_catalog_pb.js";
import { type InstanceRecord, InstanceState } from "../../../contracts/v1/provider_instance_pb.js";
import type { ConnectionReport, HealthReport } from "../../../managers/onboarding/v1/onboarding_manager_pb.js";
import {
  ConnectionReportSchema,
  HealthSchema,
  InstanceSchema,
  InstanceSettingsSchema,
  InstanceUpdateSchema,
  instanceIdString,
  ProviderCatalogViewSchema,
  SyncSchema,
} from "../admin-schemas.js";
import { requires } from "../auth/security.js";
import type { OnboardingManagerClient } from "../onboarding-manager-client.js";
import type { ProblemName } from "../problems/problem-catalog.js";
import { validationProblem } from "../problems/problem-details.js";
import { alwaysPossible, authenticated, bodyLess, idString, limited, problemResponses, ref, withBody } from "../schemas.js";

const tags = ["admin"];
const instanceParams = Type.Object({ instanceId: instanceIdString() }, { additionalProperties: false });
/** What trying an instance can find wrong: each a 4xx that says what to fix. */
const tryProblems = [
  "adapter-unknown",
  "provider-unreachable",
  "provider-credentials-refused",
  "provider-protocol-mismatch",
  "credentials-unresolved",
] as const satisfies ProblemName[];
const reasonBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 500, description: "Why, for the instance's record and the log." })) },
  { additionalProperties: false },
);

/**
 * The admin API: onboarding a clinic chain on a protocol the platform speaks
 * is a few calls, with no code, no file edit and no restart. Every operation
 * needs the `admin` scope and calls the onboarding manager only.
 */
export const adminRoutes: FastifyPluginAsyncTypebox<{ onboardingManager: OnboardingManagerClient }> = async (
  app,
  { onboardingManager },
) => {
  app.get(
    "/v1/admin/adapters",
    {
      schema: {
        operationId: "listAdapters",
        ...requires("admin"),
        tags,
        summary: "The protocols the platform speaks",
        description: "An instance's `adapter` must be one of these.",
        response: {
          200: limited(Type.Object({ items: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 }) })),
          ...problemResponses(...authenticated, ...alwaysPossible),
        },
      },
    },
    async () => ({ items: (await onboardingManager.listAdapters({})).adapters }),
  );

  app.post(
    "/v1/admin/instances/dry-run",
    {
      schema: {
        operationId: "dryRunInstance",
        ...requires("admin"),
        tags,
        summary: "Try a provider instance without registering it",
        description:
          "Checks exactly what registering checks (a known adapter, an http(s) URL that answers in the adapter's protocol, credentials the provider accepts) " +
          "and reports what the adapter can do there, the provider's own catalog and a sample search over the coming week. Stores nothing.",
        body: ref(InstanceSettingsSchema),
        response: {
          200: limited(ref(ConnectionReportSchema)),
          ...problemResponses("validation", ...tryProblems, ...withBody, ...authenticated, ...alwaysPossible),
        },
      },
    },
    async (request) => toReport(await onboardingManager.dryRunInstance({ spec: toSpec(request.body) })),
  );

  app.post(
    "/v1/admin/instances",
    {
      schema: {
        operationId: "registerInstance",
        ...requires("admin"),
        tags,
        summary: "Register a provider instance",
        description:
          "Tries the instance as a dry run does, then stores it, active: provider access serves it from the next call, without a restart. " +
          "Nothing is stored when the try fails (422 says what to fix); an id already registered is 409. " +
          "Next: sync its catalog (POST /v1/admin/syncs), then map its codes.",
        body: ref(InstanceSettingsSchema),
        response: {
          201: limited(ref(InstanceSchema)),
          ...problemResponses("validation", "instance-exists", ...tryProblems, ...withBody, ...authenticated, ...alwaysPossible),
        },
      },
    },
    async (request, reply) => {
      const record = await onboardingManager.registerInstance({ spec: toSpec(request.body) });
      return reply.code(201).header("location", `/v1/admin/instances/${request.body.id}`).send(toInstance(record));
    },
  );

  app.get(
    "/v1/admin/instances",
    {
      schema: {
        operationId: "listInstances",
        ...requires("admin"),
        tags,
        summary: "Every provider instance, retired ones included",
        response: {
          200: limited(Type.Object({ items: Type.Array(ref(InstanceSchema), { maxItems: 10_000 }) })),
          ...problemResponses(...authenticated, ...alwaysPossible),
        },
      },
    },
    async () => ({ items: (await onboardingManager.listInstances({})).instances.map(toInstance) }),
  );

  app.get(
    "/v1/admin/instances/:instanceId",
    {
      schema: {
        operationId: "getInstance",
        ...requires("admin"),
        tags,
        summary: "A provider instance",
        params: instanceParams,
        response: {
          200: limited(ref(InstanceSchema)),
          ...problemResponses("validation", "not-found", ...authenticated, ...alwaysPossible),
        },
      },
    },
    async (request) => toInstance(await onboardingManager.getInstance({ instanceId: request.params.instanceId })),
  );

  app.put(
    "/v1/admin/instances/:instanceId",
    {
      schema: {
        operationId: "updateInstance",
        ...requires("admin"),
        tags,
        summary: "Replace a provider instance's settings",
        description:
          "The new settings, whole, are tried as a registration's are and only then stored; every provider access process uses them from its next call. " +
          "The adapter never changes (register a new instance for another protocol).",
        params: instanceParams,
        body: ref(InstanceUpdateSchema),
        response: {
          200: limited(ref(InstanceSchema)),
          ...problemResponses(
            "validation",
            "not-found",
            "instance-state",
            ...tryProblems,
            ...withBody,
            ...authenticated,
            ...alwaysPossible,
          ),
        },
      },
    },
    async (request) =>
      toInstance(await onboardingManager.updateInstance({ spec: toSpec({ id: request.params.instanceId, ...request.body }) })),
  );

  for (const [verb, operationId, summary, description] of [
    [
      "pause",
      "pauseInstance",
      "Pause a provider instance",
      "At once: its slots leave searches and new reservations are refused (`provider-paused`); existing reservations stay readable, confirmable and cancellable.",
    ],
    [
      "resume",
      "resumeInstance",
      "Resume a paused provider instance",
      "Searched and booked again from the next call. A retired instance is never resumed.",
    ],
    [
      "retire",
      "retireInstance",
      "Retire a provider instance for good",
      "It leaves searches and the catalog (its clinics and offerings become inactive); nothing is deleted, and its id is never reused.",
    ],
  ] as const) {
    app.post(
      `/v1/admin/instances/:instanceId/${verb}`,
      {
        schema: {
          operationId,
          ...requires("admin"),
          tags,
          summary,
          description,
          params: instanceParams,
          body: reasonBody,
          response: {
            200: limited(ref(InstanceSchema)),
            ...problemResponses("validation", "not-found", "instance-state", ...withBody, ...authenticated, ...alwaysPossible),
          },
        },
      },
      async (request) => {
        const change = { instanceId: request.params.instanceId, reason: request.body.reason ?? "" };
        const record =
          verb === "pause"
            ? await onboardingManager.pauseInstance(change)
            : verb === "resume"
              ? await onboardingManager.resumeInstance(change)
              : await onboardingManager.retireInstance(change);
        return toInstance(record);
      },
    );
  }

  app.post(
    "/v1/admin/instances/:instanceId/connection-test",
    {
      schema: {
        operationId: "testConnection",
        ...requires("admin"),
        tags,
        summary: "Test a registered instance's connection",
        description: "Tries the instance as it is stored: reachable, credentials accepted, its catalog readable, a sample search.",
        params: instanceParams,
        response: {
          200: limited(ref(ConnectionReportSchema)),
          ...problemResponses(
            "validation",
            "not-found",
            "instance-state",
            ...tryProblems,
            ...bodyLess,
            ...authenticated,
            ...alwaysPossible,
          ),
        },
      },
    },
    async (request) => toReport(await onboardingManager.testConnection({ instanceId: request.params.instanceId })),
  );

  app.get(
    "/v1/admin/instances/:instanceId/catalog",
    {
      schema: {
        operationId: "getProviderCatalog",
        ...requires("admin"),
        tags,
        summary: "The provider's own catalog as last synced, and its mapping",
        description:
          "Clinics, treatments and practitioners in the provider's codes, each with its Vården id where mapped, and the codes nobody mapped yet.",
        params: instanceParams,
        response: {
          200: limited(ref(ProviderCatalogViewSchema)),
          ...problemResponses("validation", "not-found", ...authenticated, ...alwaysPossible),
        },
      },
    },
    async (request) => toCatalogView(await onboardingManager.getProviderCatalog({ instanceId: request.params.instanceId })),
  );

  app.post(
    "/v1/admin/instances/:instanceId/mappings",
    {
      schema: {
        operationId: "mapCodes",
        ...requires("admin"),
        tags,
        summary: "Map the provider's codes to Vården's clinics and treatments",
        description:
          "Each provider clinic to an existing Vården clinic of this instance, or to one created from the provider's data (`createClinic`); each treatment code " +
          "to a Vården treatment. All or nothing: an unknown Vården id or provider code is 422, a clinic with a second provider 409, and nothing is written. " +
          "Searches find the mapped offerings at once. Mapping the same codes again changes nothing.",
        params: instanceParams,
        body: Type.Object(
          {
            clinics: Type.Optional(
              Type.Array(
                Type.Object(
                  {
                    providerClinicCode: Type.String({ minLength: 1, maxLength: 200 }),
                    vaardenClinicId: Type.Optional(idString({ description: "An existing Vården clinic, or the id of the one to create." })),
                    createClinic: Type.Optional(
                      Type.Boolean({
                        description: "Create the Vården clinic from the provider's data (id: vaardenClinicId, or <instance>-<code>).",
                      }),
                    ),
                  },
                  { additionalProperties: false },
                ),
                { maxItems: 1000 },
              ),
            ),
            treatments: Type.Optional(
              Type.Array(
                Type.Object(
                  { providerTreatmentCode: Type.String({ minLength: 1, maxLength: 200 }), vaardenTreatmentId: idString() },
                  { additionalProperties: false },
                ),
                { maxItems: 1000 },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: limited(ref(ProviderCatalogViewSchema)),
          ...problemResponses(
            "validation",
            "not-found",
            "instance-state",
            "mapping-target-unknown",
            "provider-code-unknown",
            "mapping-conflict",
            "concurrent-change",
            ...withBody,
            ...authenticated,
            ...alwaysPossible,
          ),
        },
      },
    },
    async (request) => {
      const clinics = request.body.clinics ?? [];
      for (const [index, mapping] of clinics.entries()) {
        if (!mapping.createClinic && !mapping.vaardenClinicId) {
          throw validationProblem(`body.clinics.${index}.vaardenClinicId`, "is required unless createClinic is true");
        }
      }
      const mapped = await onboardingManager.mapCodes({
        instanceId: request.params.instanceId,
        clinics: clinics.map((m) => ({
          providerClinicCode: m.providerClinicCode,
          vaardenClinicId: m.vaardenClinicId ?? "",
          create: m.createClinic ?? false,
        })),
        treatments: request.body.treatments ?? [],
      });
      return toCatalogView(mapped);
    },
  );

  app.post(
    "/v1/admin/syncs",
    {
      schema: {
        operationId: "startSync",
        ...requires("admin"),
        tags,
        summary: "Sync one instance's catalog, or every active instance's",
        description:
          "Answers at once (202) with the syncs begun; follow each with GET /v1/admin/syncs/{syncId}. An instance whose sync is already running " +
          "answers that run. `all` skips paused and retired instances and lists them. The same sync runs every hour on a schedule, and " +
          "`npm run sync` runs it from a terminal.",
        body: Type.Object(
          {
            instanceId: Type.Optional(instanceIdString()),
            all: Type.Optional(Type.Boolean({ description: "Every active instance." })),
          },
          { additionalProperties: false },
        ),
        response: {
          202: limited(
            Type.Object({
              items: Type.Array(ref(SyncSchema), { maxItems: 10_000 }),
              skipped: Type.Array(Type.Object({ instanceId: instanceIdString(), reason: Type.String({ maxLength: 200 }) }), {
                maxItems: 10_000,
              }),
            }),
          ),
          ...problemResponses("validation", "not-found", "instance-state", ...withBody, ...authenticated, ...alwaysPossible),
        },
      },
    },
    async (request, reply) => {
      const { instanceId, all } = request.body;
      if (!all === !instanceId) throw validationProblem("body", "give either instanceId or all: true");
      const started = await onboardingManager.startSync({ instanceId: instanceId ?? "", all: all ?? false, trigger: "api" });
      return reply
        .code(202)
        .send({ items: started.syncs.map(toSync), skipped: started.skipped.map((s) => ({ instanceId: s.instanceId, reason: s.reason })) });
    },
  );

  app.get(
    "/v1/admin/syncs/:syncId",
    {
      schema: {
        operationId: "getSync",
        ...requires("admin"),
        tags,
        summary: "A catalog sync: state, progress, counts, errors",
        params: Type.Object({ syncId: idString() }, { additionalProperties: false }),
        response: {
          200: limited(ref(SyncSchema)),
          ...problemResponses("validation", "not-found", ...authenticated, ...alwaysPossible),
        },
      },
    },
    async (request) => toSync(await onboardingManager.getSync({ syncId: request.params.syncId })),
  );

  app.get(
    "/v1/admin/instances/:instanceId/syncs",
    {
      schema: {
        operationId: "listSyncs",
        ...requires("admin"),
        tags,
        summary: "An instance's catalog syncs, newest first",
        params: instanceParams,
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ format: "int32", minimum: 1, maximum: 100, default: 20 })) },
          { additionalProperties: false },
        ),
        response: {
          200: limited(Type.Object({ items: Type.Array(ref(SyncSchema), { maxItems: 100 }) })),
          ...problemResponses("validation", "not-found", ...authenticated, ...alwaysPossible),
        },
      },
    },
    async (request) => ({
      items: (await onboardingManager.listSyncs({ instanceId: request.params.instanceId, limit: request.query.limit ?? 20 })).syncs.map(
        toSync,
      ),
    }),
  );

  app.get(
    "/v1/admin/instances/:instanceId/health",
    {
      schema: {
        operationId: "getInstanceHealth",
        ...requires("admin"),
        tags,
        summary: "How a provider instance is doing",
        description:
          "Its calls lately (latency percentiles, error rate by kind, the last error, circuit state; each provider access process keeps its own, in memory), " +
          "the last hour minute by minute (calls, failures by kind, p50 and p95) as that process saw it since its start, and its last successful catalog sync.",
        params: instanceParams,
        response: {
          200: limited(ref(HealthSchema)),
          ...problemResponses("validation", "not-found", ...authenticated, ...alwaysPossible),
        },
      },
    },
    async (request) => toHealth(await onboardingManager.reportHealth({ instanceId: request.params.instanceId })),
  );

  app.get(
    "/v1/admin/health",
    {
      schema: {
        operationId: "listInstanceHealth",
        ...requires("admin"),
        tags,
        summary: "Every provider instance's health at once",
        description:
          "What GET /v1/admin/instances/{instanceId}/health answers, for every instance (retired ones with `includeRetired=true`), by instance id: " +
          "an overview refreshed every few seconds takes one request instead of one per instance.",
        querystring: Type.Object(
          { includeRetired: Type.Optional(Type.Boolean({ default: false, description: "Retired instances too." })) },
          { additionalProperties: false },
        ),
        response: {
          200: limited(Type.Object({ items: Type.Array(ref(HealthSchema), { maxItems: 10_000 }) })),
          ...problemResponses("validation", ...authenticated, ...alwaysPossible),
        },
      },
    },
    async (request) => ({
      items: (await onboardingManager.reportAllHealth({ includeRetired: request.query.includeRetired ?? false })).reports.map(toHealth),
    }),
  );
};

type Settings = Static<typeof InstanceSettingsSchema>;

function toSpec(body: Settings) {
  return {
    id: body.id,
    adapter: body.adapter,
    baseUrl: body.baseUrl,
    credentials: {
      source: body.credentials?.env
        ? { case: "env" as const, value: body.credentials.env }
        : body.credentials?.secretId
          ? { case: "secretId" as const, value: body.credentials.secretId }
          : { case: undefined },
    },
    timeZone: body.timeZone,
    resilience: body.resilience,
    options: body.options as JsonObject | undefined,
    displayName: body.displayName ?? "",
  };
}

const iso = (t: Timestamp | undefined) => (t ? timestampDate(t).toISOString() : undefined);
const stateNames = { [InstanceState.ACTIVE]: "active", [InstanceState.PAUSED]: "paused", [InstanceState.RETIRED]: "retired" } as const;
const instanceState = (state: InstanceState) => stateNames[state as keyof typeof stateNames] ?? "active";

function toInstance(record: InstanceRecord): Static<typeof InstanceSchema> {
  const spec = record.spec!;
  const source = spec.credentials?.source;
  return {
    id: spec.id,
    adapter: spec.adapter,
    baseUrl: spec.baseUrl,
    credentials: source?.case === "env" ? { env: source.value } : source?.case === "secretId" ? { secretId: source.value } : {},
    timeZone: spec.timeZone,
    ...(spec.resilience
      ? { resilience: Object.fromEntries(Object.entries(spec.resilience).filter(([k, v]) => !k.startsWith("$") && v !== undefined)) }
      : {}),
    ...(spec.options ? { options: spec.options } : {}),
    ...(spec.displayName ? { displayName: spec.displayName } : {}),
    state: instanceState(record.state),
    ...(record.stateReason ? { stateReason: record.stateReason } : {}),
    revision: record.revision,
    createdAt: iso(record.createdAt) ?? new Date(0).toISOString(),
    updatedAt: iso(record.updatedAt) ?? new Date(0).toISOString(),
  };
}

function toReport(report: ConnectionReport): Static<typeof ConnectionReportSchema> {
  const catalog = report.catalog;
  return {
    capabilities: {
      supportsHold: report.supportsHold,
      bookingMode: report.bookingMode === "deep-link" ? "deep-link" : "api",
      catalog: report.listsCatalog,
    },
    catalog: {
      clinics: (catalog?.clinics ?? []).map((c) => ({
        code: c.code,
        name: c.name,
        city: c.city,
        address: c.address,
        timeZone: c.timeZone,
        ...(c.phone ? { phone: c.phone } : {}),
        ...(c.website ? { website: c.website } : {}),
      })),
      treatments: (catalog?.treatments ?? []).map((t) => ({
        code: t.code,
        name: t.name,
        durationMinutes: t.durationMinutes,
        clinicCodes: t.clinicCodes,
      })),
      practitioners: (catalog?.practitioners ?? []).map((p) => ({
        code: p.code,
        name: p.name,
        clinicCode: p.clinicCode,
        treatmentCodes: p.treatmentCodes,
      })),
    },
    ...(report.sampleClinicCode
      ? {
          sample: {
            clinicCode: report.sampleClinicCode,
            treatmentCode: report.sampleTreatmentCode,
            from: iso(report.sampleWindow?.start) ?? "",
            to: iso(report.sampleWindow?.end) ?? "",
            slots: report.sampleSlots.map((s) => ({
              providerSlotId: s.providerSlotId,
              start: iso(s.start) ?? "",
              end: iso(s.end) ?? "",
              ...(s.practitionerName ? { practitionerName: s.practitionerName } : {}),
              ...(s.bookingLink ? { bookingLink: s.bookingLink } : {}),
              ...(s.bookingPhone ? { bookingPhone: s.bookingPhone } : {}),
              ...(s.remainingCapacity !== undefined ? { remainingCapacity: s.remainingCapacity } : {}),
            })),
          },
        }
      : {}),
    elapsedMs: report.elapsedMs,
  };
}

function toCatalogView(catalog: MappedProviderCatalog): Static<typeof ProviderCatalogViewSchema> {
  return {
    instanceId: catalog.instanceId,
    clinics: catalog.clinics.map(({ clinic, active, vaardenClinicId }) => ({
      code: clinic?.code ?? "",
      name: clinic?.name ?? "",
      city: clinic?.city ?? "",
      address: clinic?.address ?? "",
      timeZone: clinic?.timeZone ?? "",
      ...(clinic?.phone ? { phone: clinic.phone } : {}),
      ...(clinic?.website ? { website: clinic.website } : {}),
      active,
      ...(vaardenClinicId ? { vaardenClinicId } : {}),
    })),
    treatments: catalog.treatments.map(({ treatment, active, vaardenTreatmentId }) => ({
      code: treatment?.code ?? "",
      name: treatment?.name ?? "",
      durationMinutes: treatment?.durationMinutes ?? 0,
      clinicCodes: treatment?.clinicCodes ?? [],
      active,
      ...(vaardenTreatmentId ? { vaardenTreatmentId } : {}),
    })),
    practitioners: catalog.practitioners.map(({ practitioner, active }) => ({
      code: practitioner?.code ?? "",
      name: practitioner?.name ?? "",
      clinicCode: practitioner?.clinicCode ?? "",
      treatmentCodes: practitioner?.treatmentCodes ?? [],
      active,
    })),
    unmapped: { clinicCodes: catalog.unmappedClinicCodes, treatmentCodes: catalog.unmappedTreatmentCodes },
    activeOfferings: catalog.activeOfferings,
  };
}

const syncStates = {
  [SyncState.RUNNING]: "running",
  [SyncState.SUCCEEDED]: "succeeded",
  [SyncState.FAILED]: "failed",
  [SyncState.INTERRUPTED]: "interrupted",
} as const;

function toSync(sync: CatalogSync): Static<typeof SyncSchema> {
  const counts = (c: CatalogSync["clinics"]) => ({
    new: c?.new ?? 0,
    changed: c?.changed ?? 0,
    gone: c?.gone ?? 0,
    unchanged: c?.unchanged ?? 0,
  });
  return {
    id: sync.id,
    instanceId: sync.instanceId,
    state: syncStates[sync.state as keyof typeof syncStates] ?? "running",
    trigger: sync.trigger,
    progress: { done: sync.done, total: sync.total },
    counts: { clinics: counts(sync.clinics), practitioners: counts(sync.practitioners), treatments: counts(sync.treatments) },
    errors: sync.errors,
    attempts: sync.attempts,
    startedAt: iso(sync.startedAt) ?? "",
    updatedAt: iso(sync.updatedAt) ?? "",
    ...(sync.finishedAt ? { finishedAt: iso(sync.finishedAt) } : {}),
  };
}

function toHealth(report: HealthReport): Static<typeof HealthSchema> {
  const circuit = ["closed", "open", "half-open", "isolated"].includes(report.circuitState) ? report.circuitState : "closed";
  return {
    instanceId: report.instanceId,
    state: instanceState(report.state),
    circuitState: circuit as Static<typeof HealthSchema>["circuitState"],
    windowSeconds: report.windowSeconds,
    calls: report.calls,
    failures: report.failures,
    errorRate: report.calls > 0 ? report.failures / report.calls : 0,
    latencyMs: { p50: report.p50Ms, p90: report.p90Ms, p95: report.p95Ms, p99: report.p99Ms },
    errorsByKind: report.errors.map((e) => ({ kind: e.kind, count: e.count, rate: e.rate })),
    lastHour: report.lastHour.map((minute) => ({
      start: iso(minute.start) ?? "",
      calls: minute.calls,
      failures: minute.failures,
      latencyMs: { p50: minute.p50Ms, p95: minute.p95Ms },
      errorsByKind: minute.errors.map((e) => ({ kind: e.kind, count: e.count })),
    })),
    ...(report.recordingSince ? { recordingSince: iso(report.recordingSince) } : {}),
    ...(report.lastErrorKind
      ? {
          lastError: {
            at: iso(report.lastErrorAt) ?? "",
            kind: report.lastErrorKind,
            operation: report.lastErrorOperation,
            message: report.lastErrorMessage.slice(0, 500),
          },
        }
      : {}),
    ...(report.lastSuccessAt ? { lastSuccessAt: iso(report.lastSuccessAt) } : {}),
    ...(report.lastSuccessfulSync ? { lastSuccessfulSync: toSync(report.lastSuccessfulSync) } : {}),
    ...(report.lastSync ? { lastSync: toSync(report.lastSync) } : {}),
  };
}
