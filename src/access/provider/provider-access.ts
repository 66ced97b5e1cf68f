import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { ProviderSlotSchema } from "../../contracts/v1/booking_pb.js";
import { ErrorReason, platformError } from "../../utilities/errors/platform-error.js";
import { createLogger, type Logger } from "../../utilities/logging/logger.js";
import { platformMeter } from "../../utilities/telemetry/meter.js";
import type { AdapterFactory, BookingPatient, ProviderAdapter, ProviderBookingState, ProviderInstanceConfig } from "./adapter.js";
import { createDiscovery, type Discovery } from "./private/discovery.js";
import { withProviderCall } from "./private/provider-call.js";
import {
  type CallKind,
  createProviderPolicy,
  defaultResilience,
  type ProviderPolicy,
  type ResilienceSettings,
} from "./private/resilience.js";
import { ProviderError, type ProviderErrorKind } from "./provider-error.js";
import {
  type BookingPatient as BookingPatientMessage,
  CapabilitiesSchema,
  DescribeProvidersResponseSchema,
  FindBookingResponseSchema,
  FindOpenSlotsResponseSchema,
  type ProviderAccessService,
  ProviderBookingSchema,
  ProviderBookingStatus,
  ProviderInstanceSchema,
  ReleaseByReferenceResponseSchema,
} from "./v1/provider_access_pb.js";

export interface ProviderAccessDeps {
  instances: ProviderInstanceConfig[];
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
}

const tracer = () => trace.getTracer("booking-platform/provider-access");

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

export function createProviderAccess(deps: ProviderAccessDeps): ServiceImpl<typeof ProviderAccessService> {
  const instances = new Map<
    string,
    { config: ProviderInstanceConfig; adapter: ProviderAdapter; policy: ProviderPolicy; discovery: Discovery; deadlineMs: number }
  >();
  for (const config of deps.instances) {
    const factory = deps.adapters[config.adapter];
    if (!factory) throw new Error(`provider instance ${config.id} uses unknown adapter ${config.adapter}`);
    const settings = {
      ...defaultResilience,
      ...(deps.timeoutMs ? { deadlineMs: deps.timeoutMs } : {}),
      ...deps.resilience,
      ...config.resilience,
    };
    const adapter = factory(config, deps.fetch);
    instances.set(config.id, {
      config,
      adapter,
      policy: createProviderPolicy(config.id, settings),
      deadlineMs: settings.deadlineMs,
      discovery: createDiscovery(adapter, { ttlMs: deps.discoveryTtlMs ?? 10 * 60_000, retryAfterMs: 30_000 }),
    });
  }

  const log = deps.log ?? createLogger("provider-access");

  const find = (id: string) => {
    const instance = instances.get(id);
    if (!instance) throw platformError(ErrorReason.PROVIDER_INSTANCE_UNKNOWN, `no provider instance ${id}`, { provider_instance_id: id });
    return instance;
  };

  // Per provider instance: how long calls take, how they fail, and whether the circuit is open.
  const meter = platformMeter();
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
      for (const [id, { policy }] of instances)
        result.observe(policy.circuitState === "closed" ? 0 : 1, { "provider.instance": id, "circuit.state": policy.circuitState });
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
  ): Promise<T> => {
    const { config, adapter, policy, discovery } = find(id);
    const attributes = { "provider.instance": id, "provider.operation": operation };
    return tracer().startActiveSpan(`${id} ${operation}`, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
      const started = performance.now();
      const record = (outcome: string) => {
        duration.record(performance.now() - started, { "provider.instance": id, operation, outcome });
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
        record(errorKind);
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
      const slots = await call(
        request.providerInstanceId,
        "read",
        context.signal,
        (adapter, signal) =>
          adapter.findOpenSlots({ clinicCode: request.providerClinicCode, treatmentCode: request.providerTreatmentCode, window }, signal),
        "find-open-slots",
      );
      return create(FindOpenSlotsResponseSchema, {
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
      );
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
      );
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
      return create(ReleaseByReferenceResponseSchema, { cancelled: cancelled.map(toMessage) });
    },

    async describeProviders(_request, context) {
      // Capabilities that depend on the server are learnt before they are declared. An instance whose
      // discovery fails is described by what every server of its protocol can do; its verbs try again.
      await Promise.all(
        [...instances.entries()]
          .filter(([, instance]) => instance.discovery.due)
          .map(([id]) =>
            call(id, "read", context.signal, async () => undefined, "discover").catch((error: unknown) =>
              log.warn({ err: error, providerInstanceId: id }, `could not discover what provider ${id} can do; describing it without`),
            ),
          ),
      );
      return create(DescribeProvidersResponseSchema, {
        providers: [...instances.values()].map(({ config, adapter, policy, deadlineMs }) =>
          create(ProviderInstanceSchema, {
            id: config.id,
            adapter: config.adapter,
            circuitState: policy.circuitState,
            deadlineMs,
            capabilities: create(CapabilitiesSchema, adapter.capabilities),
          }),
        ),
      });
    },
  };
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
