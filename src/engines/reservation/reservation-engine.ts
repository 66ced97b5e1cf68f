import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  EvaluateReservationResponseSchema,
  RuleViolationSchema,
  type ReservationEngineService,
  type RuleViolation,
} from "./v1/reservation_engine_pb.js";

/**
 * The rules a reservation must satisfy before anyone asks a provider. Pure:
 * the caller passes "now", so one request is judged at one instant.
 */
export function createReservationEngine(): ServiceImpl<typeof ReservationEngineService> {
  return {
    evaluateReservation(request) {
      if (!request.treatment || !request.slotStart || !request.now) {
        throw new ConnectError("treatment, slot_start and now are required", Code.InvalidArgument);
      }
      const start = timestampDate(request.slotStart).getTime();
      const now = timestampDate(request.now).getTime();
      const violations: RuleViolation[] = [];
      if (start <= now) {
        violations.push(create(RuleViolationSchema, { code: "slot-in-past", reason: "the slot has already begun" }));
      } else if (start - now < request.treatment.minLeadMinutes * 60_000) {
        violations.push(
          create(RuleViolationSchema, {
            code: "lead-time",
            reason: `${request.treatment.name || request.treatment.id} must be reserved at least ${request.treatment.minLeadMinutes} minutes ahead`,
          }),
        );
      }
      return create(EvaluateReservationResponseSchema, { allowed: violations.length === 0, violations });
    },
  };
}
