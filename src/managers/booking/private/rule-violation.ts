import type { RuleViolation } from "../../../engines/reservation/v1/reservation_engine_pb.js";
import { ErrorReason, platformError } from "../../../utilities/errors/platform-error.js";

/** The reservation engine's verdict as a failure: the first rule broken is the reason, every rule's words the message. */
export function ruleViolation(violations: RuleViolation[]) {
  const [first] = violations;
  return platformError(first?.reason ?? ErrorReason.INVALID_ARGUMENT, violations.map((v) => v.message).join("; "));
}
