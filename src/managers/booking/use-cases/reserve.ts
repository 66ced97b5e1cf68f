import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { BeginOutcome, RefusalSchema } from "../../../access/booking/v1/booking_access_pb.js";
import { type ProviderBooking, ProviderBookingStatus } from "../../../access/provider/v1/provider_access_pb.js";
import { PatientSchema, type Reservation, ReservationSchema, ReservationStatus } from "../../../contracts/v1/booking_pb.js";
import { ErrorReason, hasReason, platformError, reasonOf } from "../../../utilities/errors/platform-error.js";
import { readPersonalIdentityNumber } from "../../../utilities/security/personal-identity-number.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import { asCallerError, cancelAtProvider, providerCertainlyDidNotTakeIt } from "../private/provider-failures.js";
import { loadReservation, reservationResult, statusLabel, toBookingPatient } from "../private/reservation-result.js";
import { ruleViolation } from "../private/rule-violation.js";
import type { CreateReservationRequest, ReservationResult } from "../v1/booking_manager_pb.js";

/**
 * Reserve a slot for a patient: a hold where the provider supports holds, else
 * a booking. The sequence only: the rules come from the reservation engine,
 * "one reservation per slot" and idempotency from booking access, and the
 * truth about the slot from the provider, asked live.
 *
 *  1. check the request, the slot id, the catalog and the rules;
 *  2. record the reservation as pending and take the slot here (or answer a
 *     retried request as it was answered first);
 *  3. ask the provider to hold or book it;
 *  4. record what the provider did.
 *
 * A provider that does not answer leaves the reservation pending (202): the
 * reconciler asks the provider later what it has under our reservation id.
 */
export async function reserve(deps: UseCaseDeps, request: CreateReservationRequest): Promise<ReservationResult> {
  const at = deps.now();
  const patient = request.patient;
  if (!request.clientId) throw invalid("client_id is required: reservations belong to a client", "client_id");
  if (!request.idempotencyKey || !request.requestHash) throw invalid("idempotency_key and request_hash are required", "idempotency_key");
  if (!patient?.name || !patient.phone || !patient.email) throw invalid("patient name, phone and email are required", "patient");
  if (!patient.personalIdentityNumber && !patient.dateOfBirth) {
    throw invalid("patient needs a personal identity number or a date of birth", "patient");
  }
  // Kept and handed on in its twelve-digit form: ten digits lose the century once the reservation is a year old.
  let who = patient;
  if (patient.personalIdentityNumber) {
    const reading = readPersonalIdentityNumber(patient.personalIdentityNumber, at);
    if (!reading.valid) throw invalid(`the personal identity number ${reading.problem}`, personalIdentityNumberField);
    who = create(PatientSchema, { ...patient, personalIdentityNumber: reading.number.formatted });
  }

  // 1. The slot, the clinic's offering, the rules, and whether the provider takes bookings through us at all.
  const slot = await deps.availabilityEngine.resolveSlot({ slotId: request.slotId });
  if (slot.treatmentId !== request.treatmentId) {
    throw invalid(`the slot is for treatment ${slot.treatmentId}, not ${request.treatmentId}`, "treatment_id");
  }
  const { treatment, offerings } = await deps.catalogAccess.findOfferings({ treatmentId: slot.treatmentId, clinicIds: [slot.clinicId] });
  const offering = offerings[0];
  if (!treatment || !offering) {
    throw platformError(ErrorReason.CLINIC_NOT_OFFERING, `clinic ${slot.clinicId} no longer offers ${slot.treatmentId}`);
  }
  const verdict = await deps.reservationEngine.evaluateReservation({ treatment, slotStart: slot.start, now: timestampFromDate(at) });
  if (!verdict.allowed) throw ruleViolation(verdict.violations);
  const { providers } = await deps.providerAccess.describeProviders({});
  const capabilities = providers.find((p) => p.id === slot.providerInstanceId)?.capabilities;
  if (!capabilities) {
    throw platformError(ErrorReason.PROVIDER_INSTANCE_UNKNOWN, `provider ${slot.providerInstanceId} is not connected`, {
      provider_instance_id: slot.providerInstanceId,
    });
  }
  if (capabilities.bookingMode !== "api") {
    throw platformError(
      ErrorReason.DEEP_LINK_ONLY,
      `provider ${slot.providerInstanceId} takes bookings on its own site only: send the patient to the slot's bookingLink`,
      { provider_instance_id: slot.providerInstanceId },
    );
  }

  // 2. Pending, with the slot taken here, unless this Idempotency-Key has been seen before.
  const begun = await deps.bookingAccess.beginReservation({
    reservation: create(ReservationSchema, {
      id: deps.newId(),
      clientId: request.clientId,
      status: ReservationStatus.PENDING,
      treatmentId: slot.treatmentId,
      clinicId: slot.clinicId,
      providerInstanceId: slot.providerInstanceId,
      providerSlotId: slot.providerSlotId,
      slotId: request.slotId,
      start: slot.start,
      end: slot.end,
      timeZone: offering.timeZone,
      patientId: deps.patientId(who, at),
      patient: who,
      note: request.note,
    }),
    idempotencyKey: request.idempotencyKey,
    requestHash: request.requestHash,
    now: timestampFromDate(at),
  });
  switch (begun.outcome) {
    case BeginOutcome.STARTED:
      break;
    case BeginOutcome.REPLAY:
      if (begun.refusal) throw platformError(begun.refusal.reason, begun.refusal.message);
      return reservationResult(begun.reservation!, at, { firstAnswerPending: begun.firstAnswerPending });
    case BeginOutcome.IN_PROGRESS:
      throw platformError(ErrorReason.REQUEST_IN_PROGRESS, "a request with this Idempotency-Key is still being processed; retry later");
    case BeginOutcome.KEY_REUSED:
      throw platformError(ErrorReason.IDEMPOTENCY_KEY_REUSED, "this Idempotency-Key was already used with a different request body");
    default:
      throw new Error(`booking access answered begin with outcome ${begun.outcome}`);
  }
  const pending = begun.reservation!;

  // 3. Always the provider, live: a slot found by a search may be long gone.
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
          patient: toBookingPatient(who),
          note: request.note,
        });
  } catch (error) {
    if (!providerCertainlyDidNotTakeIt(error)) {
      // Timeout, provider down, garbled answer: it may have acted. Stay pending; the reconciler asks it.
      deps.log.warn({ err: error, reservationId: pending.id }, `reservation ${pending.id} stays pending: the provider's answer is unknown`);
      return awaitProvider(deps, pending, at);
    }
    // It certainly holds nothing for us: free the slot here, and answer (now and on every retry) why.
    const refusal = asCallerError(error, slot.providerInstanceId);
    await deps.bookingAccess
      .recordRelease({
        id: pending.id,
        refusal: create(RefusalSchema, { reason: reasonOf(refusal), message: refusal.rawMessage }),
        now: timestampFromDate(at),
      })
      .catch((releaseError: unknown) =>
        // Left pending: the reconciler finds nothing at the provider and releases it.
        deps.log.warn({ err: releaseError, reservationId: pending.id }, `could not release reservation ${pending.id}; the reconciler will`),
      );
    throw refusal;
  }

  // 4. What the provider did, recorded.
  try {
    const recorded =
      booking.status === ProviderBookingStatus.HELD
        ? await deps.bookingAccess.recordHold({
            id: pending.id,
            providerBookingRef: booking.providerBookingRef,
            holdExpiresAt: booking.holdExpiresAt,
            now: timestampFromDate(at),
          })
        : await deps.bookingAccess.recordBooking({
            id: pending.id,
            providerBookingRef: booking.providerBookingRef,
            now: timestampFromDate(at),
          });
    return reservationResult(recorded.reservation!, at);
  } catch (error) {
    if (hasReason(error, ErrorReason.RESERVATION_CHANGED)) {
      // The reconciler got there first. If it found the provider's hold or booking, it recorded it: that is our answer.
      const current = await loadReservation(deps, pending.id, request.clientId);
      if (current.status === ReservationStatus.HELD || current.status === ReservationStatus.CONFIRMED)
        return reservationResult(current, at);
      return answerLateProvider(deps, current, booking);
    }
    // Our own record could not be written (a conflict, the table unreachable): the provider has it, so it
    // is not lost; the reconciler finds it under our reservation id and records it.
    deps.log.warn(
      { err: error, reservationId: pending.id },
      `reservation ${pending.id} stays pending: recording the provider's answer failed`,
    );
    return awaitProvider(deps, pending, at);
  }
}

/**
 * The answer is "still pending" (202): recorded as the request's answer, so a
 * retry with the same key is answered with the reservation as it then is,
 * rather than "still in progress" until the reconciler has settled it.
 */
async function awaitProvider(deps: UseCaseDeps, pending: Reservation, at: Date): Promise<ReservationResult> {
  try {
    const { reservation } = await deps.bookingAccess.recordAwaitingProvider({
      id: pending.id,
      statusReason: "the provider has not answered yet; we are verifying with it",
      now: timestampFromDate(at),
    });
    return reservationResult(reservation!, at);
  } catch (error) {
    // Retries get "in progress" until the reconciler settles it: slower for the client, nothing lost.
    deps.log.warn({ err: error, reservationId: pending.id }, `could not record reservation ${pending.id}'s first answer`);
    return reservationResult(pending, at);
  }
}

/**
 * The provider took the reservation, but its answer came so late that our
 * record had moved on: the reconciler, seeing nothing at the provider yet,
 * released it. The provider's hold or booking is now nobody's: cancel it
 * there, or the slot is lost to everyone, and tell the patient to search again.
 */
async function answerLateProvider(deps: UseCaseDeps, released: Reservation, booking: ProviderBooking): Promise<never> {
  await cancelAtProvider(
    deps,
    released.providerInstanceId,
    booking.providerBookingRef,
    `reservation ${released.id} was released before the provider answered`,
  );
  throw platformError(
    ErrorReason.SLOT_UNAVAILABLE,
    `the provider answered too late: reservation ${released.id} was ${statusLabel(released.status)} meanwhile and its booking there undone; search again`,
    { provider_instance_id: released.providerInstanceId },
  );
}

const invalid = (message: string, field: string) => platformError(ErrorReason.INVALID_ARGUMENT, message, { field });
/** The field of CreateReservationRequest, as INVALID_ARGUMENT's metadata names it. */
const personalIdentityNumberField = "patient.personal_identity_number";
