import { create } from "@bufbuild/protobuf";
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { Treatment } from "../../contracts/v1/booking_pb.js";
import { ErrorReason } from "../../contracts/v1/errors_pb.js";
import {
  EvaluateCancellationResponseSchema,
  EvaluateReservationResponseSchema,
  type ReservationEngineService,
  type RuleViolation,
  RuleViolationSchema,
} from "./v1/reservation_engine_pb.js";

export interface ReservationEngineOptions {
  /** How long a slot is held for the patient to confirm, where the provider supports holds. */
  holdSeconds?: number;
}

/**
 * The rules a reservation must satisfy before anyone asks a provider, and
 * when it may be cancelled. Pure: the caller passes "now", so one request is
 * judged at one instant across services.
 */
export function createReservationEngine(options: ReservationEngineOptions = {}): ServiceImpl<typeof ReservationEngineService> {
  const holdSeconds = options.holdSeconds ?? 600;
  return {
    evaluateReservation(request) {
      const { treatment, start, now } = required(request);
      const violations: RuleViolation[] = [];
      if (start <= now) {
        violations.push(violation(ErrorReason.SLOT_IN_PAST, "the slot has already begun"));
      } else if (start - now < treatment.minLeadMinutes * 60_000) {
        violations.push(
          violation(ErrorReason.LEAD_TIME, `${label(treatment)} must be reserved at least ${treatment.minLeadMinutes} minutes ahead`),
        );
      }
      return create(EvaluateReservationResponseSchema, { allowed: violations.length === 0, violations, holdSeconds });
    },

    evaluateCancellation(request) {
      const { treatment, start, now } = required(request);
      const violations: RuleViolation[] = [];
      if (start <= now) {
        violations.push(violation(ErrorReason.SLOT_IN_PAST, "the appointment has already begun"));
      } else if (start - now < treatment.cancellationWindowHours * 3_600_000) {
        violations.push(
          violation(
            ErrorReason.CANCELLATION_WINDOW,
            `${label(treatment)} can be cancelled until ${treatment.cancellationWindowHours} hours before it starts; contact the clinic`,
          ),
        );
      }
      return create(EvaluateCancellationResponseSchema, { allowed: violations.length === 0, violations });
    },
  };
}

function required(request: { treatment?: Treatment; slotStart?: Timestamp; now?: Timestamp }) {
  if (!request.treatment || !request.slotStart || !request.now) {
    throw new ConnectError("treatment, slot_start and now are required", Code.InvalidArgument);
  }
  return {
    treatment: request.treatment,
    start: timestampDate(request.slotStart).getTime(),
    now: timestampDate(request.now).getTime(),
  };
}

const violation = (reason: ErrorReason, message: string) => create(RuleViolationSchema, { reason, message });
const label = (treatment: Treatment) => treatment.name || treatment.id;
