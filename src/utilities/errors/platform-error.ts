import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorReason } from "../../contracts/v1/errors_pb.js";
import { ErrorInfoSchema } from "../../google/rpc/error_details_pb.js";

export { ErrorReason };

/** The ErrorInfo domain of every reason this platform defines. */
export const errorDomain = "booking-platform";

/**
 * The gRPC status each reason travels with, so that a caller that knows
 * nothing of our reasons (a gRPC tool, a retry policy) still reads it right.
 */
const statusOf: Record<ErrorReason, Code> = {
  [ErrorReason.UNSPECIFIED]: Code.Unknown,
  [ErrorReason.INVALID_ARGUMENT]: Code.InvalidArgument,
  [ErrorReason.SLOT_ID_INVALID]: Code.InvalidArgument,
  [ErrorReason.SLOT_ID_EXPIRED]: Code.FailedPrecondition,
  [ErrorReason.TREATMENT_NOT_FOUND]: Code.NotFound,
  [ErrorReason.CLINIC_NOT_OFFERING]: Code.NotFound,
  [ErrorReason.RESERVATION_NOT_FOUND]: Code.NotFound,
  [ErrorReason.PROVIDER_INSTANCE_UNKNOWN]: Code.NotFound,
  [ErrorReason.SLOT_UNAVAILABLE]: Code.AlreadyExists,
  [ErrorReason.HOLD_EXPIRED]: Code.FailedPrecondition,
  [ErrorReason.LEAD_TIME]: Code.FailedPrecondition,
  [ErrorReason.SLOT_IN_PAST]: Code.FailedPrecondition,
  [ErrorReason.CANCELLATION_WINDOW]: Code.FailedPrecondition,
  [ErrorReason.RESERVATION_STATE]: Code.FailedPrecondition,
  [ErrorReason.RESERVATION_PENDING]: Code.Aborted,
  [ErrorReason.DEEP_LINK_ONLY]: Code.FailedPrecondition,
  [ErrorReason.IDEMPOTENCY_KEY_REUSED]: Code.FailedPrecondition,
  [ErrorReason.REQUEST_IN_PROGRESS]: Code.Aborted,
  [ErrorReason.RESERVATION_CHANGED]: Code.Aborted,
  [ErrorReason.SLOT_CLAIM_LOST]: Code.FailedPrecondition,
  [ErrorReason.WRITE_CONFLICT]: Code.Aborted,
  [ErrorReason.PROVIDER_TIMEOUT]: Code.DeadlineExceeded,
  [ErrorReason.PROVIDER_UNAVAILABLE]: Code.Unavailable,
  [ErrorReason.PROVIDER_BAD_RESPONSE]: Code.Unavailable,
  [ErrorReason.PROVIDER_REJECTED]: Code.FailedPrecondition,
  [ErrorReason.PROVIDER_NOT_FOUND]: Code.NotFound,
  [ErrorReason.PROVIDER_CIRCUIT_OPEN]: Code.Unavailable,
  [ErrorReason.PROVIDER_OVERLOADED]: Code.ResourceExhausted,
  [ErrorReason.PROVIDER_UNSUPPORTED]: Code.Unimplemented,
  [ErrorReason.NO_PROVIDER_ANSWERED]: Code.Unavailable,
  [ErrorReason.ADAPTER_UNKNOWN]: Code.InvalidArgument,
  [ErrorReason.PROVIDER_UNREACHABLE]: Code.FailedPrecondition,
  [ErrorReason.PROVIDER_CREDENTIALS_REFUSED]: Code.FailedPrecondition,
  [ErrorReason.PROVIDER_PROTOCOL_MISMATCH]: Code.FailedPrecondition,
  [ErrorReason.CREDENTIALS_UNRESOLVED]: Code.FailedPrecondition,
  [ErrorReason.PROVIDER_INSTANCE_EXISTS]: Code.AlreadyExists,
  [ErrorReason.PROVIDER_PAUSED]: Code.FailedPrecondition,
  [ErrorReason.PROVIDER_INSTANCE_STATE]: Code.FailedPrecondition,
  [ErrorReason.MAPPING_TARGET_UNKNOWN]: Code.FailedPrecondition,
  [ErrorReason.PROVIDER_CODE_UNKNOWN]: Code.FailedPrecondition,
  [ErrorReason.MAPPING_CONFLICT]: Code.AlreadyExists,
  [ErrorReason.PROVIDER_INSTANCE_NOT_FOUND]: Code.NotFound,
  [ErrorReason.SYNC_NOT_FOUND]: Code.NotFound,
  [ErrorReason.SYNC_LEASE_LOST]: Code.Aborted,
};

/** The gRPC status a reason travels with. */
export function grpcCodeOf(reason: ErrorReason): Code {
  return statusOf[reason];
}

/** The reason's name as ErrorInfo carries it: ERROR_REASON_SLOT_UNAVAILABLE → "SLOT_UNAVAILABLE". */
export function reasonName(reason: ErrorReason): string {
  return ErrorReason[reason] ?? "UNSPECIFIED";
}

/**
 * A failure a caller can act on: the message is for people (logs, problem
 * details), the reason and metadata are for code. Metadata never holds
 * personal data.
 */
export function platformError(reason: ErrorReason, message: string, metadata: Record<string, string> = {}): ConnectError {
  return new ConnectError(message, statusOf[reason], undefined, [
    { desc: ErrorInfoSchema, value: { reason: reasonName(reason), domain: errorDomain, metadata } },
  ]);
}

/** The reason a failure carries; UNSPECIFIED for one that carries none (a transport fault, a bug). */
export function reasonOf(error: unknown): ErrorReason {
  const info = errorInfoOf(error);
  if (!info) return ErrorReason.UNSPECIFIED;
  const reason = ErrorReason[info.reason as keyof typeof ErrorReason];
  return typeof reason === "number" ? reason : ErrorReason.UNSPECIFIED;
}

/** The facts a failure carries beside its reason (provider_instance_id, current_status, rule …). */
export function metadataOf(error: unknown): Record<string, string> {
  return errorInfoOf(error)?.metadata ?? {};
}

/** True when the failure carries one of these reasons. */
export function hasReason(error: unknown, ...reasons: ErrorReason[]): boolean {
  return reasons.includes(reasonOf(error));
}

function errorInfoOf(error: unknown) {
  if (error === undefined || error === null) return undefined;
  const connectError = ConnectError.from(error);
  return connectError.findDetails(ErrorInfoSchema).find((info) => info.domain === errorDomain);
}
