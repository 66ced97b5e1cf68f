import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { ProviderSlotSchema, TimeWindowSchema } from "../../contracts/v1/booking_pb.js";
import { ErrorReason, hasReason, metadataOf, platformError } from "../../utilities/errors/platform-error.js";
import { createLogger, type Logger } from "../../utilities/logging/logger.js";
import { detached } from "../../utilities/rpc/deadline.js";
import { platformMeter } from "../../utilities/telemetry/meter.js";
import type { AdapterFactory, BookingPatient, ProviderAdapter, ProviderBookingState, ProviderInstanceConfig } from "./adapter.js";
import type { InstanceStore, StoredInstance } from "./instance-store.js";
import { type AvailabilityCache, type CacheOutcome, createAvailabilityCache } from "./private/availability-cache.js";
import { createCallStats } from "./private/call-stats.js";
import { type CredentialResolver, createCredentialResolver } from "./private/credentials.js";
import { toCatalogMessage, toRecordMessage, toStateMessage, validateSpec } from "./private/instance-messages.js";
import { createLiveInstances, type LiveInstance } from "./private/live-instances.js";
import { probeInstance } from "./private/probe.js";
import { withProviderCall } from "./private/provider-call.js";
import type { CallKind, ResilienceSettings } from "./private/resilience.js";
import { ProviderError, type ProviderErrorKind } from "./provider-error.js";
import {
  type BookingPatient as BookingPatientMessage,
  CallErrorSchema,
  CapabilitiesSchema,
  DescribeProvidersResponseSchema,
  FindBookingResponseSchema,
  FindOpenSlotsResponseSchema,
  InstanceHealthSchema,
  ListAdaptersResponseSchema,
  ListInstancesResponseSchema,
  ProbeReportSchema,
  type ProviderAccessService,
  ProviderBookingSchema,
  ProviderBookingStatus,
  ProviderInstanceSchema,
  ReleaseByReferenceResponseSchema,
} from "./v1/provider_access_pb.js";

export interface ProviderAccessDeps {
  /** Instances fixed at start, not stored (unit tests, the conformance kit). */
  instances?: ProviderInstanceConfig[];
  /** The table's instances (instance-store.ts): registered, changed, paused and retired without a restart. */
  store?: InstanceStore;
  /** Reads the secrets instances name (environment variables, Secrets Manager); default: this process's. */
  credentials?: CredentialResolver;
  /** A base URL that wins over an instance's stored one (npm start's simulators on shifted ports). */
  urlOverride?: (instanceId: string) => string | undefined;
  /** Trust the instances' version stamp this long after reading it; default 0: read it on every use. */
  instanceCheckMs?: number;
  adapters: Record<string, AdapterFactory>;
  /** Deadline for one provider call, retries included, unless the instance sets its own; the caller's deadline applies too. */
  timeoutMs?: number;
  /** Overrides of the default resilience settings for every instance (an instance's own settings win). */
  resilience?: Partial<ResilienceSettings>;
  fetch?: typeof fetch;
  /** Where each provider HTTP call is logged (at debug level), and failed discoveries (warn). */
  log?: Logger;
  /** How long what an adapter discovered about its server (adapter.ts, `discover`) is trusted; default 10 minutes. */
  discoveryTtlMs?: number;
  /**
   * How old an availability answer may be when served from the cache, unless an instance says otherwise
   * (`options.availabilityCacheSeconds`); default 30 s, 0 turns caching off.
   */
  availabilityCacheSeconds?: number;
  /** The availability cache's size bound in bytes (an estimate); default 64 MiB. */
  availabilityCacheBytes?: number;
  /** The cache's clock (tests). */
  now?: () => number;
}

// Asked for once: without an SDK every getTracer makes a new proxy tracer, which the CPU profile of a
// service under load showed at 15% of its time (docs/performance.md). The proxy follows an SDK started later.
const cachedTracer = trace.getTracer("booking-platform/provider-access");
const tracer = () => cachedTracer;

/** How each failure kind reaches callers: as the reason they act on (google.rpc.ErrorInfo). */
const reasonOf: Record<ProviderErrorKind, ErrorReason> = {
  timeout: ErrorReason.PROVIDER_TIMEOUT,
  unavailable: ErrorReason.PROVIDER_UNAVAILABLE,
  "bad-response": ErrorReason.PROVIDER_BAD_RESPONSE,
  rejected: ErrorReason.PROVIDER_REJECTED,
  "not-found": ErrorReason.PROVIDER_NOT_FOUND,
  "slot-unavailable": ErrorReason.SLOT_UNAVAILABLE,
  "circuit-open": ErrorReason.PROVIDER_CIRCUIT_OPEN,
  overloaded: ErrorReason.PROVIDER_OVERLOADED,
};

/**
 * Which instances a verb serves: new business (a search, a hold, a booking) only active ones; what concerns
 * reservations already made (confirm, cancel, find) every instance not retired … and retired ones too, so
 * that a patient can still cancel; administration (the catalog, a connection test) active and paused ones.
 */
type Gate = "active" | "any" | "not-retired";

export function createProviderAccess(deps: ProviderAccessDeps): ServiceImpl<typeof ProviderAccessService> {
  const log = deps.log ?? createLogger("provider-access");
  const live = createLiveInstances({
    adapters: deps.adapters,
    fixed: deps.instances,
    store: deps.store,
    credentials: deps.credentials ?? createCredentialResolver(),
    resilience: { ...(deps.timeoutMs ? { deadlineMs: deps.timeoutMs } : {}), ...deps.resilience },
    discoveryTtlMs: deps.discoveryTtlMs ?? 10 * 60_000,
    fetch: deps.fetch,
    urlOverride: deps.urlOverride,
    checkEveryMs: deps.instanceCheckMs,
    log,
  });
  /** The instances as last read, for the metrics callback (which cannot wait for a read). */
  let instances = new Map<string, LiveInstance>();
  const stats = createCallStats();
  const notFound = (id: string) =>
    platformError(ErrorReason.PROVIDER_INSTANCE_NOT_FOUND, `no provider instance ${id}`, { provider_instance_id: id });

  const find = async (id: string, gate: Gate = "any"): Promise<LiveInstance> => {
    instances = await live.current();
    const instance = instances.get(id);
    const metadata = { provider_instance_id: id };
    if (!instance) throw platformError(ErrorReason.PROVIDER_INSTANCE_UNKNOWN, `no provider instance ${id}`, metadata);
    if (instance.state === "retired" && gate !== "any")
      throw platformError(ErrorReason.PROVIDER_INSTANCE_UNKNOWN, `provider instance ${id} is retired`, { ...metadata, state: "retired" });
    if (instance.state === "paused" && gate === "active")
      throw platformError(ErrorReason.PROVIDER_PAUSED, `provider ${id} is paused: no searches, no new reservations`, metadata);
    if (instance.problem) {
      // Its secret could not be read when it was loaded: it may be there now (a Secrets Manager secret made since).
      const rebuilt = await live.build(instance.record);
      if (rebuilt.problem) throw rebuilt.problem;
      instances.set(id, rebuilt);
      return rebuilt;
    }
    return instance;
  };

  /**
   * A hold or booking that failed because the slot is gone, or whose outcome is unknown (the provider may
   * have taken it): no cached day offers the slot any more. Other failures (never called, refused) leave it.
   */
  const forgettingSlotIfTaken =
    (id: string, providerSlotId: string) =>
    (error: unknown): never => {
      if (hasReason(error, ErrorReason.SLOT_UNAVAILABLE) || hasReason(error, ErrorReason.PROVIDER_TIMEOUT)) {
        availability.forgetSlot(id, providerSlotId);
      }
      throw error;
    };

  // Per provider instance: how long calls take, how they fail, and whether the circuit is open.
  const meter = platformMeter();
  const cacheLookups = meter.createCounter("provider.availability_cache.lookups", {
    description: "Days of availability searches by how they were served: hit, stale (served, refreshed behind), coalesced, miss, bypass",
  });
  const availability: AvailabilityCache = createAvailabilityCache({
    maxBytes: deps.availabilityCacheBytes,
    now: deps.now,
    onLookup: (outcome: CacheOutcome, id: string) => cacheLookups.add(1, { "provider.instance": id, result: outcome }),
    onRefreshError: (error, id) =>
      log.warn(
        { err: error, providerInstanceId: id },
        `refreshing cached availability of ${id} failed; the cached answer stays until its bound`,
      ),
  });
  const defaultFreshMs = (deps.availabilityCacheSeconds ?? 30) * 1000;
  const freshMsOf = (instance: LiveInstance) => {
    const own = instance.config.options?.availabilityCacheSeconds;
    return typeof own === "number" && own >= 0 ? own * 1000 : defaultFreshMs;
  };
  const duration = meter.createHistogram("provider.call.duration", {
    unit: "ms",
    description: "Provider calls, by instance, operation and outcome",
  });
  const failures = meter.createCounter("provider.call.errors", {
    description: "Failed provider calls, by instance and kind (timeout, unavailable, bad-response, circuit-open …)",
  });
  meter
    .createObservableGauge("provider.circuit.open", { description: "1 while an instance's circuit is open or half-open, else 0" })
    .addCallback((result) => {
      for (const [id, { policy, state }] of instances) {
        if (state === "retired") continue;
        result.observe(policy.circuitState === "closed" ? 0 : 1, { "provider.instance": id, "circuit.state": policy.circuitState });
      }
    });

  /**
   * One call to one provider under its resilience policy, its failures as gRPC errors that name it. It is
   * one span named after the instance and the operation, so a trace shows at a glance which provider was
   * slow; each HTTP request the adapter makes is a child span (private/provider-request-span.ts).
   */
  const call = async <T>(
    id: string,
    kind: CallKind,
    signal: AbortSignal,
    run: (adapter: ProviderAdapter, signal: AbortSignal) => Promise<T>,
    operation = "call",
    gate: Gate = "any",
  ): Promise<T> => {
    const { config, adapter, policy, discovery } = await find(id, gate);
    const attributes = { "provider.instance": id, "provider.operation": operation };
    return tracer().startActiveSpan(`${id} ${operation}`, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
      const started = performance.now();
      const record = (outcome: string, message?: string) => {
        const ms = performance.now() - started;
        duration.record(ms, { "provider.instance": id, operation, outcome });
        stats.record(id, { ms, outcome, operation, message });
        span.setAttribute("provider.outcome", outcome);
      };
      try {
        const result = await withProviderCall({ operation, log }, () =>
          policy.execute(
            kind,
            async (attemptSignal) => {
              // What the server can do decides how a verb is done (and whether it may be): learn it first.
              await discovery.ensure(attemptSignal);
              return run(adapter, attemptSignal);
            },
            signal,
          ),
        );
        record("ok");
        return result;
      } catch (error) {
        const errorKind = error instanceof ProviderError ? error.kind : error instanceof ConnectError ? "unsupported" : "adapter-bug";
        record(errorKind, (error as Error).message);
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorKind });
        failures.add(1, { "provider.instance": id, operation, kind: errorKind });
        if (error instanceof ConnectError) throw error;
        if (error instanceof ProviderError)
          throw platformError(reasonOf[error.kind], error.message, { provider_instance_id: id, operation });
        // An adapter bug must not take the service down, and must still say whose call failed. It carries
        // no reason: nobody can act on it but whoever fixes the adapter.
        throw new ConnectError(`provider ${config.id} failed unexpectedly: ${(error as Error).message}`, Code.Internal);
      } finally {
        span.end();
      }
    });
  };

  /** A verb the provider's declared capabilities do not include. */
  const unsupported = (id: string, verb: string) =>
    platformError(ErrorReason.PROVIDER_UNSUPPORTED, `provider ${id} does not support ${verb}`, { provider_instance_id: id });

  return {
    async findOpenSlots(request, context) {
      if (!request.window?.start || !request.window.end)
        throw platformError(ErrorReason.INVALID_ARGUMENT, "window is required", { field: "window" });
      if (!request.providerClinicCode || !request.providerTreatmentCode) {
        throw platformError(ErrorReason.INVALID_ARGUMENT, "provider_clinic_code and provider_treatment_code are required");
      }
      const window = { start: timestampDate(request.window.start), end: timestampDate(request.window.end) };
      if (window.end <= window.start)
        throw platformError(ErrorReason.INVALID_ARGUMENT, "window end must be after its start", { field: "window" });
      // Paused or retired: refused before the cache is looked at.
      const instance = await find(request.providerInstanceId, "active");
      const query = { clinicCode: request.providerClinicCode, treatmentCode: request.providerTreatmentCode };
      const answer = availability.find(
        {
          instanceId: request.providerInstanceId,
          revision: instance.record.revision,
          ...query,
          window,
          timeZone: instance.config.timeZone || "UTC",
          freshMs: freshMsOf(instance),
        },
        // Shared by every search waiting for these days: it runs under the provider's own deadline, not the first caller's.
        (days) =>
          detached(async () => {
            const slots = await call(
              request.providerInstanceId,
              "read",
              AbortSignal.any([]),
              (adapter, signal) => adapter.findOpenSlots({ ...query, window: days }, signal),
              "find-open-slots",
              "active",
            );
            return { slots, freshForMs: instance.adapter.freshForMs?.() };
          }),
      );
      const { slots, asOf } = await untilAborted(answer, context.signal);
      return create(FindOpenSlotsResponseSchema, {
        asOf: timestampFromDate(asOf),
        slots: slots.map((slot) =>
          create(ProviderSlotSchema, {
            providerSlotId: slot.providerSlotId,
            start: timestampFromDate(slot.start),
            end: timestampFromDate(slot.end),
            practitionerCode: slot.practitionerCode,
            practitionerName: slot.practitionerName,
            bookingLink: slot.bookingLink,
            bookingPhone: slot.bookingPhone,
            remainingCapacity: slot.remainingCapacity,
          }),
        ),
      });
    },

    async holdSlot(request, context) {
      const state = await call(
        request.providerInstanceId,
        "write",
        context.signal,
        (adapter, signal) => {
          if (!adapter.capabilities.supportsHold || !adapter.holdSlot) throw unsupported(request.providerInstanceId, "holds");
          return adapter.holdSlot(
            { providerSlotId: request.providerSlotId, reference: request.reference, holdSeconds: request.holdSeconds },
            signal,
          );
        },
        "hold-slot",
        "active",
      ).catch(forgettingSlotIfTaken(request.providerInstanceId, request.providerSlotId));
      availability.forgetSlot(request.providerInstanceId, request.providerSlotId);
      return toMessage(state);
    },

    async confirmHold(request, context) {
      const state = await call(
        request.providerInstanceId,
        "write",
        context.signal,
        (adapter, signal) => {
          if (!adapter.capabilities.supportsHold || !adapter.confirmHold) throw unsupported(request.providerInstanceId, "holds");
          return adapter.confirmHold(
            { providerBookingRef: request.providerBookingRef, patient: toPatient(request.patient), note: request.note },
            signal,
          );
        },
        "confirm-hold",
      );
      return toMessage(state);
    },

    async bookSlot(request, context) {
      const state = await call(
        request.providerInstanceId,
        "write",
        context.signal,
        (adapter, signal) => {
          if (adapter.capabilities.bookingMode !== "api" || !adapter.bookSlot)
            throw unsupported(request.providerInstanceId, "booking through its API");
          return adapter.bookSlot(
            {
              providerSlotId: request.providerSlotId,
              reference: request.reference,
              patient: toPatient(request.patient),
              note: request.note,
            },
            signal,
          );
        },
        "book-slot",
        "active",
      ).catch(forgettingSlotIfTaken(request.providerInstanceId, request.providerSlotId));
      availability.forgetSlot(request.providerInstanceId, request.providerSlotId);
      return toMessage(state);
    },

    async cancelBooking(request, context) {
      const state = await call(
        request.providerInstanceId,
        "write",
        context.signal,
        (adapter, signal) => {
          if (!adapter.cancelBooking) throw unsupported(request.providerInstanceId, "cancellation");
          return adapter.cancelBooking({ providerBookingRef: request.providerBookingRef }, signal);
        },
        "cancel-booking",
      );
      // The slot is free again at the provider: the next search of its day asks the provider.
      availability.forgetDay(request.providerInstanceId, state.start);
      return toMessage(state);
    },

    async findBooking(request, context) {
      const state = await call(
        request.providerInstanceId,
        "read",
        context.signal,
        (adapter, signal) => {
          if (!adapter.findBooking) throw unsupported(request.providerInstanceId, "finding a booking by reference");
          return adapter.findBooking(request.reference, signal);
        },
        "find-booking",
      );
      return create(FindBookingResponseSchema, { booking: state ? toMessage(state) : undefined });
    },

    async releaseByReference(request, context) {
      // Whatever is there under our reference, however many times it was made (a retried write the
      // provider acted on twice), is cancelled one by one until the provider has nothing left.
      const cancelled: ProviderBookingState[] = [];
      for (let round = 0; round < 5; round++) {
        const found = await call(
          request.providerInstanceId,
          "read",
          context.signal,
          (adapter, signal) => {
            if (!adapter.findBooking) throw unsupported(request.providerInstanceId, "finding a booking by reference");
            return adapter.findBooking(request.reference, signal);
          },
          "find-booking",
        );
        if (!found) break;
        cancelled.push(
          await call(
            request.providerInstanceId,
            "write",
            context.signal,
            (adapter, signal) => {
              if (!adapter.cancelBooking) throw unsupported(request.providerInstanceId, "cancellation");
              return adapter.cancelBooking({ providerBookingRef: found.providerBookingRef }, signal);
            },
            "cancel-booking",
          ),
        );
      }
      for (const state of cancelled) availability.forgetDay(request.providerInstanceId, state.start);
      return create(ReleaseByReferenceResponseSchema, { cancelled: cancelled.map(toMessage) });
    },

    async describeProviders(_request, context) {
      instances = await live.current();
      const described = [...instances.values()].filter((instance) => instance.state !== "retired");
      // Capabilities that depend on the server are learnt before they are declared. An instance whose
      // discovery fails is described by what every server of its protocol can do; its verbs try again.
      await Promise.all(
        described
          .map((instance) => [instance.config.id, instance] as const)
          .filter(([, instance]) => instance.discovery.due && !instance.problem)
          .map(([id]) =>
            call(id, "read", context.signal, async () => undefined, "discover").catch((error: unknown) =>
              log.warn({ err: error, providerInstanceId: id }, `could not discover what provider ${id} can do; describing it without`),
            ),
          ),
      );
      return create(DescribeProvidersResponseSchema, {
        providers: described.map(({ config, adapter, policy, state, deadlineMs }) =>
          create(ProviderInstanceSchema, {
            id: config.id,
            adapter: config.adapter,
            circuitState: policy.circuitState,
            deadlineMs,
            capabilities: create(CapabilitiesSchema, adapter.capabilities),
            state: toStateMessage(state),
          }),
        ),
      });
    },

    // --- provider instances ---

    listAdapters: () => create(ListAdaptersResponseSchema, { adapters: Object.keys(deps.adapters).sort() }),

    async probeInstance(request, context) {
      let instance: LiveInstance;
      if (request.target.case === "spec") {
        const settings = validateSpec(request.target.value, Object.keys(deps.adapters).sort());
        instance = await live.build(stored(settings));
      } else if (request.target.case === "instanceId") {
        instance = await find(request.target.value, "not-retired").catch((error: unknown) => {
          throw reasonOfUnknown(error, request.target.value as string);
        });
      } else {
        throw platformError(ErrorReason.INVALID_ARGUMENT, "give an instance spec or an instance id", { field: "target" });
      }
      if (instance.problem) throw instance.problem;
      const id = instance.config.id;
      const result = await withProviderCall({ operation: "probe", log }, () =>
        probeInstance(id, instance.adapter, instance.policy, context.signal),
      );
      return create(ProbeReportSchema, {
        capabilities: create(CapabilitiesSchema, instance.adapter.capabilities),
        catalog: toCatalogMessage(result.catalog),
        sampleClinicCode: result.sample?.clinicCode ?? "",
        sampleTreatmentCode: result.sample?.treatmentCode ?? "",
        sampleWindow: result.sample
          ? create(TimeWindowSchema, {
              start: timestampFromDate(result.sample.window.start),
              end: timestampFromDate(result.sample.window.end),
            })
          : undefined,
        sampleSlots: (result.sample?.slots ?? []).map((slot) =>
          create(ProviderSlotSchema, {
            providerSlotId: slot.providerSlotId,
            start: timestampFromDate(slot.start),
            end: timestampFromDate(slot.end),
            practitionerCode: slot.practitionerCode,
            practitionerName: slot.practitionerName,
            bookingLink: slot.bookingLink,
            bookingPhone: slot.bookingPhone,
            remainingCapacity: slot.remainingCapacity,
          }),
        ),
        elapsedMs: result.elapsedMs,
      });
    },

    async registerInstance(request) {
      const settings = validateSpec(request.spec, Object.keys(deps.adapters).sort());
      const store = requireStore();
      const record = await store.register(settings);
      await live.reload();
      log.info({ providerInstanceId: record.id, adapter: record.adapter }, `registered provider instance ${record.id}`);
      return toRecordMessage(record);
    },

    async updateInstance(request) {
      const settings = validateSpec(request.spec, Object.keys(deps.adapters).sort());
      const record = await requireStore().change(settings.id, (current) => {
        if (current.state === "retired") throw stateError(current, "update");
        if (current.adapter !== settings.adapter) {
          throw platformError(
            ErrorReason.INVALID_ARGUMENT,
            `provider instance ${current.id} speaks ${current.adapter}; an instance never changes its adapter (register a new one)`,
            { field: "adapter" },
          );
        }
        return { ...settings };
      });
      await live.reload();
      return toRecordMessage(record);
    },

    pauseInstance: (request) => changeState(request.instanceId, "paused", request.reason, ["active", "paused"]),
    resumeInstance: (request) => changeState(request.instanceId, "active", request.reason, ["paused", "active"]),
    retireInstance: (request) => changeState(request.instanceId, "retired", request.reason, ["active", "paused", "retired"]),

    async getInstance(request) {
      const record = await (deps.store ? deps.store.get(request.instanceId) : fixedRecord(request.instanceId));
      if (!record) throw notFound(request.instanceId);
      return toRecordMessage(record);
    },

    async listInstances() {
      instances = await live.current();
      const records = [...instances.values()].map((i) => i.record).sort((a, b) => a.id.localeCompare(b.id));
      return create(ListInstancesResponseSchema, { instances: records.map(toRecordMessage) });
    },

    async readProviderCatalog(request, context) {
      const catalog = await call(
        request.instanceId,
        "catalog",
        context.signal,
        (adapter, signal) => {
          if (!adapter.listCatalog) throw unsupported(request.instanceId, "listing its catalog");
          return adapter.listCatalog(signal);
        },
        "list-catalog",
        "not-retired",
      ).catch((error: unknown) => {
        throw reasonOfUnknown(error, request.instanceId);
      });
      return toCatalogMessage(catalog);
    },

    async getInstanceHealth(request) {
      instances = await live.current();
      const instance = instances.get(request.instanceId);
      if (!instance) throw notFound(request.instanceId);
      const summary = stats.summary(request.instanceId);
      return create(InstanceHealthSchema, {
        instanceId: request.instanceId,
        state: toStateMessage(instance.state),
        circuitState: instance.policy.circuitState,
        windowSeconds: summary.windowSeconds,
        calls: summary.calls,
        failures: summary.failures,
        p50Ms: summary.p50Ms,
        p90Ms: summary.p90Ms,
        p95Ms: summary.p95Ms,
        p99Ms: summary.p99Ms,
        errors: summary.errors,
        lastHour: stats.lastHour(request.instanceId).map((minute) => ({
          start: timestampFromDate(minute.start),
          calls: minute.calls,
          failures: minute.failures,
          p50Ms: minute.p50Ms,
          p95Ms: minute.p95Ms,
          errors: minute.errors.map((e) => ({ kind: e.kind, count: e.count, rate: e.count / minute.calls })),
        })),
        recordingSince: timestampFromDate(stats.since),
        lastError: summary.lastError
          ? create(CallErrorSchema, {
              at: timestampFromDate(summary.lastError.at),
              kind: summary.lastError.kind,
              operation: summary.lastError.operation,
              message: summary.lastError.message,
            })
          : undefined,
        lastSuccessAt: summary.lastSuccessAt ? timestampFromDate(summary.lastSuccessAt) : undefined,
      });
    },
  };

  function requireStore(): InstanceStore {
    if (!deps.store) throw new ConnectError("this provider access has fixed instances only (no table)", Code.FailedPrecondition);
    return deps.store;
  }

  async function fixedRecord(id: string): Promise<StoredInstance | undefined> {
    return (await live.current()).get(id)?.record;
  }

  async function changeState(id: string, to: StoredInstance["state"], reason: string, from: Array<StoredInstance["state"]>) {
    const record = await requireStore().change(id, (current) => {
      if (!from.includes(current.state)) throw stateError(current, to === "active" ? "resume" : to === "paused" ? "pause" : "retire");
      // Already there: nothing to change, but the change is written anyway so the call stays one code path (idempotent).
      return { state: to, stateReason: reason || current.stateReason };
    });
    await live.reload();
    log.info({ providerInstanceId: id, state: to, reason }, `provider instance ${id} is ${to}`);
    return toRecordMessage(record);
  }
}

/** A stored-looking record for settings not stored (a dry run): what building an adapter needs. */
function stored(settings: ReturnType<typeof validateSpec>): StoredInstance {
  const at = new Date().toISOString();
  return { ...settings, state: "active", stateReason: "", revision: 0, createdAt: at, updatedAt: at };
}

function stateError(current: StoredInstance, verb: string) {
  return platformError(ErrorReason.PROVIDER_INSTANCE_STATE, `provider instance ${current.id} is ${current.state}: it cannot ${verb}`, {
    provider_instance_id: current.id,
    current_state: current.state,
  });
}

/** An administrator asking about an instance that does not exist gets "not found", one that is retired "its state", not "not connected". */
function reasonOfUnknown(error: unknown, id: string) {
  if (!hasReason(error, ErrorReason.PROVIDER_INSTANCE_UNKNOWN)) return ConnectError.from(error);
  const metadata = { provider_instance_id: id };
  if (metadataOf(error).state === "retired") {
    return platformError(ErrorReason.PROVIDER_INSTANCE_STATE, `provider instance ${id} is retired`, {
      ...metadata,
      current_state: "retired",
    });
  }
  return platformError(ErrorReason.PROVIDER_INSTANCE_NOT_FOUND, `no provider instance ${id}`, metadata);
}

const bookingStatus: Record<ProviderBookingState["status"], ProviderBookingStatus> = {
  held: ProviderBookingStatus.HELD,
  booked: ProviderBookingStatus.BOOKED,
  cancelled: ProviderBookingStatus.CANCELLED,
};

function toMessage(state: ProviderBookingState) {
  return create(ProviderBookingSchema, {
    providerBookingRef: state.providerBookingRef,
    status: bookingStatus[state.status],
    holdExpiresAt: state.holdExpiresAt ? timestampFromDate(state.holdExpiresAt) : undefined,
    providerSlotId: state.providerSlotId ?? "",
    start: state.start ? timestampFromDate(state.start) : undefined,
    end: state.end ? timestampFromDate(state.end) : undefined,
  });
}

function toPatient(patient: BookingPatientMessage | undefined): BookingPatient {
  if (!patient?.name) throw platformError(ErrorReason.INVALID_ARGUMENT, "patient is required", { field: "patient" });
  return {
    name: patient.name,
    personalIdentityNumber: patient.personalIdentityNumber,
    dateOfBirth: patient.dateOfBirth,
    phone: patient.phone,
    email: patient.email,
  };
}

/** The answer, or the caller's cancellation, whichever comes first: a shared provider call goes on for the others. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", abort);
        reject(error);
      },
    );
  });
}
