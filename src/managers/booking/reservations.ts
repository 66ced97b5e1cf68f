import { randomUUID } from "node:crypto";
import { create, fromJsonString, toJsonString } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { BeginOutcome, type BookingAccessService } from "../../access/booking/v1/booking_access_pb.js";
import type { CatalogAccessService } from "../../access/catalog/v1/catalog_access_pb.js";
import { BookingPatientSchema, type ProviderAccessService, type ProviderBooking } from "../../access/provider/v1/provider_access_pb.js";
import { type Patient, type Reservation, ReservationSchema } from "../../contracts/v1/booking_pb.js";
import type { AvailabilityEngineService } from "../../engines/availability/v1/availability_engine_pb.js";
import type { ReservationEngineService, RuleViolation } from "../../engines/reservation/v1/reservation_engine_pb.js";
import { platformMeter } from "../../utilities/telemetry/meter.js";
import { toLocalIso } from "../../utilities/time/local-time.js";
import {
  type CreateReservationRequest,
  ListPatientReservationsResponseSchema,
  ReconcileReservationsResponseSchema,
  type ReservationResult,
  ReservationResultSchema,
} from "./v1/booking_manager_pb.js";

export interface ReservationDeps {
  catalogAccess: Client<typeof CatalogAccessService>;
  bookingAccess: Client<typeof BookingAccessService>;
  providerAccess: Client<typeof ProviderAccessService>;
  availabilityEngine: Client<typeof AvailabilityEngineService>;
  reservationEngine: Client<typeof ReservationEngineService>;
  patientId: (patient: { personalIdentityNumber?: string; dateOfBirth?: string; email?: string }) => string;
  now?: () => Date;
  newId?: () => string;
}

/** Provider answers that prove nothing was booked; anything else (timeouts, 5xx, garbage) leaves the outcome unknown. */
const definitelyNotBooked = new Set([
  Code.FailedPrecondition,
  Code.PermissionDenied,
  Code.NotFound,
  Code.InvalidArgument,
  Code.Unimplemented,
]);

/**
 * The reservation use cases: the sequence only. Rules come from the
 * reservation engine, the one-booking-per-slot guarantee and idempotency from
 * booking access, the truth about the slot from the provider, asked live.
 */
export function createReservationUseCases(deps: ReservationDeps) {
  const now = deps.now ?? (() => new Date());
  const meter = platformMeter();
  const reservationOutcomes = meter.createCounter("reservations", { description: "Reservation requests, by outcome" });
  const holdExpiries = meter.createCounter("reservation.hold.expiries", { description: "Holds that lapsed before they were confirmed" });
  const reconcilerActions = meter.createCounter("reconciler.actions", {
    description: "Pending reservations the reconciler settled, by action",
  });
  /** Counts how a create ended: the reservation's status, "replayed", or why it was refused. */
  const counted = async (run: Promise<ReservationResult>) => {
    try {
      const outcome = await run;
      reservationOutcomes.add(1, { outcome: outcome.replayed ? "replayed" : (outcome.reservation?.status ?? "unknown") });
      return outcome;
    } catch (error) {
      reservationOutcomes.add(1, { outcome: Code[ConnectError.from(error).code] ?? "error" });
      throw error;
    }
  };
  const newId = deps.newId ?? (() => `res_${randomUUID()}`);

  const result = (reservation: Reservation, replayed = false): ReservationResult => {
    const effective = effectiveStatus(reservation, now());
    return create(ReservationResultSchema, {
      reservation: effective,
      localStart: effective.start && effective.timeZone ? toLocalIso(timestampDate(effective.start), effective.timeZone) : "",
      localEnd: effective.end && effective.timeZone ? toLocalIso(timestampDate(effective.end), effective.timeZone) : "",
      replayed,
    });
  };

  /** Settles a pending or held reservation and, for a create, completes its idempotency key with the outcome. */
  const settle = async (
    reservation: Reservation,
    change: {
      expectedStatus: string;
      newStatus: string;
      statusReason?: string;
      booking?: ProviderBooking;
      release?: boolean;
      error?: ConnectError;
    },
  ) => {
    const at = now();
    const holdExpiresAt = change.newStatus === "held" ? change.booking?.holdExpiresAt : undefined;
    const snapshot = create(ReservationSchema, {
      ...reservation,
      status: change.newStatus,
      statusReason: change.statusReason ?? "",
      providerBookingRef: change.booking?.providerBookingRef || reservation.providerBookingRef,
      holdExpiresAt,
      updatedAt: timestampFromDate(at),
    });
    // Settling a pending reservation ends the request that began it: its key gets the outcome.
    const completesKey = change.expectedStatus === "pending" ? reservation.idempotencyKey : "";
    const { reservation: settled } = await deps.bookingAccess.settleReservation({
      id: reservation.id,
      expectedStatus: change.expectedStatus,
      newStatus: change.newStatus,
      statusReason: change.statusReason,
      providerBookingRef: change.booking?.providerBookingRef,
      holdExpiresAt,
      claimExpiresAt: holdExpiresAt,
      releaseClaim: change.release ?? false,
      idempotencyKey: completesKey,
      // The first answer, replayed to a client that retries with the same key.
      responseStatus: change.error ? change.error.code : 0,
      responseBody: change.error ? change.error.rawMessage : toJsonString(ReservationSchema, withoutPatient(snapshot)),
      now: timestampFromDate(at),
    });
    return settled ?? snapshot;
  };

  const load = async (id: string) => {
    const { reservation } = await deps.bookingAccess.getReservation({ id });
    if (!reservation) throw new ConnectError(`reservation ${id} not found`, Code.NotFound);
    return reservation;
  };

  const treatmentOf = async (reservation: Reservation) => {
    const { treatment } = await deps.catalogAccess.findOfferings({
      treatmentId: reservation.treatmentId,
      clinicIds: [reservation.clinicId],
    });
    if (!treatment) throw new ConnectError(`treatment ${reservation.treatmentId} is no longer in the catalog`, Code.FailedPrecondition);
    return treatment;
  };

  const useCases = {
    async createReservation(request: CreateReservationRequest): Promise<ReservationResult> {
      const patient = request.patient;
      if (!request.idempotencyKey || !request.requestHash)
        throw new ConnectError("idempotency_key and request_hash are required", Code.InvalidArgument);
      if (!patient?.name || !patient.phone || !patient.email)
        throw new ConnectError("patient name, phone and email are required", Code.InvalidArgument);
      if (!patient.personalIdentityNumber && !patient.dateOfBirth) {
        throw new ConnectError("patient needs a personal identity number or a date of birth", Code.InvalidArgument);
      }
      const at = now();
      const slot = await deps.availabilityEngine.resolveSlot({ slotId: request.slotId });
      if (slot.treatmentId !== request.treatmentId) {
        throw new ConnectError(`the slot is for treatment ${slot.treatmentId}, not ${request.treatmentId}`, Code.InvalidArgument);
      }
      const { treatment, offerings } = await deps.catalogAccess.findOfferings({
        treatmentId: slot.treatmentId,
        clinicIds: [slot.clinicId],
      });
      const offering = offerings[0];
      if (!treatment || !offering) throw new ConnectError(`clinic ${slot.clinicId} no longer offers ${slot.treatmentId}`, Code.NotFound);
      const verdict = await deps.reservationEngine.evaluateReservation({ treatment, slotStart: slot.start, now: timestampFromDate(at) });
      if (!verdict.allowed) throw ruleViolated(verdict.violations);
      const { providers } = await deps.providerAccess.describeProviders({});
      const capabilities = providers.find((p) => p.id === slot.providerInstanceId)?.capabilities;
      if (!capabilities) throw new ConnectError(`provider ${slot.providerInstanceId} is not connected`, Code.FailedPrecondition);
      if (capabilities.bookingMode !== "api") {
        throw new ConnectError(
          `provider ${slot.providerInstanceId} takes bookings on its own site only: send the patient to the slot's bookingLink`,
          Code.FailedPrecondition,
        );
      }

      const begun = await deps.bookingAccess.beginReservation({
        reservation: create(ReservationSchema, {
          id: newId(),
          status: "pending",
          treatmentId: slot.treatmentId,
          clinicId: slot.clinicId,
          providerInstanceId: slot.providerInstanceId,
          providerSlotId: slot.providerSlotId,
          slotId: request.slotId,
          start: slot.start,
          end: slot.end,
          timeZone: offering.timeZone,
          patientId: deps.patientId(patient),
          patient,
          note: request.note,
        }),
        idempotencyKey: request.idempotencyKey,
        requestHash: request.requestHash,
        now: timestampFromDate(at),
      });
      switch (begun.outcome) {
        case BeginOutcome.REPLAY:
          if (begun.storedStatus !== 0) throw new ConnectError(begun.storedBody, begun.storedStatus as Code);
          return result(fromJsonString(ReservationSchema, begun.storedBody), true);
        case BeginOutcome.IN_PROGRESS:
          throw new ConnectError("a request with this Idempotency-Key is still being processed; retry later", Code.Aborted);
        case BeginOutcome.KEY_REUSED:
          throw new ConnectError("this Idempotency-Key was already used with a different request body", Code.FailedPrecondition);
        case BeginOutcome.STARTED:
          break;
        default:
          throw new ConnectError("booking access answered with no outcome", Code.Internal);
      }
      const pending = begun.reservation!;

      // Always the provider, live: a cached slot may be long gone.
      let booking: ProviderBooking;
      try {
        booking = capabilities.supportsHold
          ? await deps.providerAccess.holdSlot({
              providerInstanceId: slot.providerInstanceId,
              providerSlotId: slot.providerSlotId,
              reference: pending.id,
              holdSeconds: verdict.holdSeconds,
            })
          : await deps.providerAccess.bookSlot({
              providerInstanceId: slot.providerInstanceId,
              providerSlotId: slot.providerSlotId,
              reference: pending.id,
              patient: toBookingPatient(patient),
              note: request.note,
            });
      } catch (error) {
        const failure = ConnectError.from(error);
        if (!definitelyNotBooked.has(failure.code)) {
          // Outcome unknown (timeout, provider down, garbled answer): stay pending; the reconciler asks the provider.
          return result(pending);
        }
        const gone = failure.code === Code.FailedPrecondition;
        const answer = gone
          ? new ConnectError(`the slot is no longer available at ${slot.providerInstanceId}; search again`, Code.AlreadyExists)
          : failure;
        await settle(pending, {
          expectedStatus: "pending",
          newStatus: "released",
          statusReason: answer.rawMessage,
          release: true,
          error: answer,
        });
        throw answer;
      }
      try {
        return result(
          await settle(pending, { expectedStatus: "pending", newStatus: booking.status === "held" ? "held" : "confirmed", booking }),
        );
      } catch (error) {
        // The reconciler settled it first (it saw no booking yet): undo ours at the provider, or the slot is lost there.
        await deps.providerAccess
          .cancelBooking({ providerInstanceId: slot.providerInstanceId, providerBookingRef: booking.providerBookingRef })
          .catch(() => {});
        throw error;
      }
    },

    async getReservation(id: string) {
      return result(await load(id));
    },

    async confirmReservation(id: string) {
      const reservation = await load(id);
      const status = effectiveStatus(reservation, now()).status;
      if (status === "confirmed") return result(reservation);
      if (status === "expired") {
        if (reservation.status === "held") {
          await settle(reservation, { expectedStatus: "held", newStatus: "expired", statusReason: "the hold lapsed", release: true })
            .then(() => holdExpiries.add(1))
            .catch(() => {});
        }
        throw new ConnectError(`the hold on reservation ${id} expired; reserve again`, Code.FailedPrecondition);
      }
      if (status !== "held") throw new ConnectError(`reservation ${id} is ${status} and cannot be confirmed`, Code.FailedPrecondition);
      try {
        const booking = await deps.providerAccess.confirmHold({
          providerInstanceId: reservation.providerInstanceId,
          providerBookingRef: reservation.providerBookingRef,
          patient: toBookingPatient(reservation.patient),
          note: reservation.note,
        });
        return result(await settle(reservation, { expectedStatus: "held", newStatus: "confirmed", booking }));
      } catch (error) {
        const failure = ConnectError.from(error);
        if (failure.code === Code.FailedPrecondition && failure.rawMessage.includes("no longer has the slot")) {
          await settle(reservation, {
            expectedStatus: "held",
            newStatus: "expired",
            statusReason: failure.rawMessage,
            release: true,
          }).catch(() => {});
          throw new ConnectError(`the provider no longer holds the slot for reservation ${id}; reserve again`, Code.FailedPrecondition);
        }
        throw failure;
      }
    },

    async cancelReservation(id: string) {
      const reservation = await load(id);
      const status = effectiveStatus(reservation, now()).status;
      if (status === "cancelled") return result(reservation);
      if (status === "pending")
        throw new ConnectError(`reservation ${id} is still being verified with the provider; retry shortly`, Code.Aborted);
      if (status !== "held" && status !== "confirmed")
        throw new ConnectError(`reservation ${id} is ${status} and cannot be cancelled`, Code.FailedPrecondition);
      if (status === "confirmed") {
        const verdict = await deps.reservationEngine.evaluateCancellation({
          treatment: await treatmentOf(reservation),
          slotStart: reservation.start,
          now: timestampFromDate(now()),
        });
        if (!verdict.allowed) throw ruleViolated(verdict.violations);
      }
      await deps.providerAccess.cancelBooking({
        providerInstanceId: reservation.providerInstanceId,
        providerBookingRef: reservation.providerBookingRef,
      });
      return result(
        await settle(reservation, {
          expectedStatus: reservation.status,
          newStatus: "cancelled",
          statusReason: "cancelled by the patient",
          release: true,
        }),
      );
    },

    async listPatientReservations(patientId: string) {
      const { reservations } = await deps.bookingAccess.listPatientReservations({ patientId });
      return create(ListPatientReservationsResponseSchema, { reservations: reservations.map((r) => result(r)) });
    },

    /**
     * Settles reservations whose provider call never reported back, by asking
     * the provider what it has under our id, and marks lapsed holds expired.
     */
    async reconcileReservations(minAgeSeconds: number) {
      if (minAgeSeconds < 0) throw new ConnectError("min_age_seconds must not be negative", Code.InvalidArgument);
      const cutOff = new Date(now().getTime() - minAgeSeconds * 1000);
      const { reservations } = await deps.bookingAccess.listPendingReservations({ beganBefore: timestampFromDate(cutOff) });
      const tally = create(ReconcileReservationsResponseSchema, { examined: reservations.length });
      for (const reservation of reservations) {
        const pending = reservation;
        try {
          const { booking } = await deps.providerAccess.findBooking({
            providerInstanceId: reservation.providerInstanceId,
            reference: reservation.id,
          });
          if (booking && (booking.status === "booked" || booking.status === "held")) {
            await settle(pending, {
              expectedStatus: "pending",
              newStatus: booking.status === "held" ? "held" : "confirmed",
              booking,
              statusReason: "verified with the provider",
            });
            tally.confirmed++;
            reconcilerActions.add(1, { action: "confirmed" });
          } else {
            const answer = new ConnectError(`the provider did not take reservation ${reservation.id}; search again`, Code.AlreadyExists);
            await settle(pending, {
              expectedStatus: "pending",
              newStatus: "released",
              statusReason: answer.rawMessage,
              release: true,
              error: answer,
            });
            tally.released++;
            reconcilerActions.add(1, { action: "released" });
          }
        } catch {
          // Provider still unreachable, or the reservation settled meanwhile: try again next run.
          tally.leftPending++;
          reconcilerActions.add(1, { action: "left-pending" });
        }
      }
      // Holds nobody confirmed: reads already show them expired; write it down and free their claims.
      const { reservations: lapsed } = await deps.bookingAccess.listLapsedHolds({ expiredBefore: timestampFromDate(now()) });
      for (const reservation of lapsed) {
        try {
          // The provider's hold lapses by its own clock; release it now so the slot is free there too.
          await deps.providerAccess
            .cancelBooking({ providerInstanceId: reservation.providerInstanceId, providerBookingRef: reservation.providerBookingRef })
            .catch(() => undefined);
          await settle(reservation, {
            expectedStatus: "held",
            newStatus: "expired",
            statusReason: "the hold lapsed before it was confirmed",
            release: true,
          });
          tally.expired++;
          holdExpiries.add(1);
          reconcilerActions.add(1, { action: "expired" });
        } catch {
          // Confirmed or cancelled meanwhile: nothing to do.
        }
      }
      return tally;
    },
  };
  return { ...useCases, createReservation: (request: CreateReservationRequest) => counted(useCases.createReservation(request)) };
}

/** A hold past its expiry is expired, whether or not anything has written that down yet. */
function effectiveStatus(reservation: Reservation, at: Date): Reservation {
  if (reservation.status === "held" && reservation.holdExpiresAt && timestampDate(reservation.holdExpiresAt) <= at) {
    return create(ReservationSchema, { ...reservation, status: "expired", statusReason: "the hold lapsed before it was confirmed" });
  }
  return reservation;
}

function ruleViolated(violations: RuleViolation[]): ConnectError {
  return new ConnectError(violations.map((v) => v.reason).join("; "), Code.FailedPrecondition);
}

/** What is replayed to a retrying client carries no personal data at rest beyond the reservation itself. */
function withoutPatient(reservation: Reservation): Reservation {
  return create(ReservationSchema, { ...reservation, patient: undefined });
}

function toBookingPatient(patient: Patient | undefined) {
  return create(BookingPatientSchema, {
    name: patient?.name,
    personalIdentityNumber: patient?.personalIdentityNumber,
    dateOfBirth: patient?.dateOfBirth,
    phone: patient?.phone,
    email: patient?.email,
  });
}
