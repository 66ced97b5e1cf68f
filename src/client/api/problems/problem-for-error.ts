import { Code } from "@connectrpc/connect";
import { ErrorReason, reasonOf } from "../../../utilities/errors/platform-error.js";
import type { ProblemName } from "./problem-catalog.js";

/**
 * The problem each reason a failure carries becomes. A Record over the whole
 * enum: adding a reason to the contract without deciding its problem does not
 * compile.
 */
export const problemForReason: Record<ErrorReason, ProblemName | undefined> = {
  // No reason: decided by the gRPC status (problemForCode).
  [ErrorReason.UNSPECIFIED]: undefined,
  [ErrorReason.INVALID_ARGUMENT]: "validation",
  [ErrorReason.SLOT_ID_INVALID]: "slot-id-invalid",
  [ErrorReason.SLOT_ID_EXPIRED]: "slot-expired",
  [ErrorReason.TREATMENT_NOT_FOUND]: "not-found",
  [ErrorReason.CLINIC_NOT_OFFERING]: "not-found",
  [ErrorReason.RESERVATION_NOT_FOUND]: "not-found",
  [ErrorReason.PROVIDER_INSTANCE_UNKNOWN]: "provider-not-connected",
  [ErrorReason.SLOT_UNAVAILABLE]: "slot-taken",
  [ErrorReason.HOLD_EXPIRED]: "hold-expired",
  [ErrorReason.LEAD_TIME]: "lead-time",
  [ErrorReason.SLOT_IN_PAST]: "slot-in-past",
  [ErrorReason.CANCELLATION_WINDOW]: "cancellation-window",
  [ErrorReason.RESERVATION_STATE]: "reservation-state",
  [ErrorReason.RESERVATION_PENDING]: "reservation-pending",
  [ErrorReason.DEEP_LINK_ONLY]: "deep-link-only",
  [ErrorReason.IDEMPOTENCY_KEY_REUSED]: "idempotency-key-reused",
  [ErrorReason.REQUEST_IN_PROGRESS]: "request-in-progress",
  [ErrorReason.RESERVATION_CHANGED]: "concurrent-change",
  [ErrorReason.WRITE_CONFLICT]: "concurrent-change",
  // The manager turns a lost claim into hold-expired; one that reaches the API anyway means the same.
  [ErrorReason.SLOT_CLAIM_LOST]: "hold-expired",
  [ErrorReason.PROVIDER_TIMEOUT]: "provider-unavailable",
  [ErrorReason.PROVIDER_UNAVAILABLE]: "provider-unavailable",
  [ErrorReason.PROVIDER_CIRCUIT_OPEN]: "provider-unavailable",
  [ErrorReason.PROVIDER_OVERLOADED]: "provider-unavailable",
  [ErrorReason.NO_PROVIDER_ANSWERED]: "provider-unavailable",
  [ErrorReason.PROVIDER_BAD_RESPONSE]: "provider-error",
  [ErrorReason.PROVIDER_REJECTED]: "provider-error",
  // The provider does not know what we named: the caller's reservation still exists; the manager decides.
  [ErrorReason.PROVIDER_NOT_FOUND]: "provider-error",
  [ErrorReason.PROVIDER_UNSUPPORTED]: "not-supported",
  // Onboarding: what an administrator got wrong, or the state an instance is in.
  [ErrorReason.ADAPTER_UNKNOWN]: "adapter-unknown",
  [ErrorReason.PROVIDER_UNREACHABLE]: "provider-unreachable",
  [ErrorReason.PROVIDER_CREDENTIALS_REFUSED]: "provider-credentials-refused",
  [ErrorReason.PROVIDER_PROTOCOL_MISMATCH]: "provider-protocol-mismatch",
  [ErrorReason.CREDENTIALS_UNRESOLVED]: "credentials-unresolved",
  [ErrorReason.PROVIDER_INSTANCE_EXISTS]: "instance-exists",
  [ErrorReason.PROVIDER_PAUSED]: "provider-paused",
  [ErrorReason.PROVIDER_INSTANCE_STATE]: "instance-state",
  [ErrorReason.MAPPING_TARGET_UNKNOWN]: "mapping-target-unknown",
  [ErrorReason.PROVIDER_CODE_UNKNOWN]: "provider-code-unknown",
  [ErrorReason.MAPPING_CONFLICT]: "mapping-conflict",
  [ErrorReason.PROVIDER_INSTANCE_NOT_FOUND]: "not-found",
  [ErrorReason.SYNC_NOT_FOUND]: "not-found",
  // Two runs of one instance's sync met: the caller's run was taken over; another sync is already at work.
  [ErrorReason.SYNC_LEASE_LOST]: "concurrent-change",
};

/** For failures that carry no reason: what the transport's status says. */
function problemForCode(code: Code): ProblemName {
  switch (code) {
    case Code.InvalidArgument:
      return "validation";
    case Code.NotFound:
      return "not-found";
    case Code.Unimplemented:
      return "not-supported";
    // The request's deadline passed somewhere below.
    case Code.DeadlineExceeded:
      return "timeout";
    // A service that is down, restarting, overloaded or died mid-call (its HTTP/2 stream is reset).
    case Code.Unavailable:
    case Code.ResourceExhausted:
    case Code.Canceled:
      return "service-unavailable";
    default:
      return "internal";
  }
}

/** The problem a failure from below the API becomes. */
export function problemForError(error: unknown, code: Code): ProblemName {
  return problemForReason[reasonOf(error)] ?? problemForCode(code);
}
