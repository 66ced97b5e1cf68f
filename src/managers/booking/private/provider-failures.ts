import { ConnectError } from "@connectrpc/connect";
import { ErrorReason, hasReason, metadataOf, platformError, reasonOf } from "../../../utilities/errors/platform-error.js";
import type { UseCaseDeps } from "./dependencies.js";

/**
 * Provider failures after which the provider certainly holds nothing for us:
 * it said no (the slot is taken, our request refused, the slot unknown), or it
 * was never called (circuit open, at our concurrency limit, a verb it does not
 * offer). Anything else (a timeout, a 5xx, a garbled answer, a broken
 * connection) may have been acted on: the outcome is unknown.
 */
const certainlyNotTaken = [
  ErrorReason.SLOT_UNAVAILABLE,
  ErrorReason.PROVIDER_REJECTED,
  ErrorReason.PROVIDER_NOT_FOUND,
  ErrorReason.PROVIDER_CIRCUIT_OPEN,
  ErrorReason.PROVIDER_OVERLOADED,
  ErrorReason.PROVIDER_UNSUPPORTED,
  ErrorReason.PROVIDER_INSTANCE_UNKNOWN,
  ErrorReason.PROVIDER_PAUSED,
  ErrorReason.INVALID_ARGUMENT,
];

export const providerCertainlyDidNotTakeIt = (error: unknown) => hasReason(error, ...certainlyNotTaken);

/**
 * A provider failure re-told for the caller: the same reason, in our words,
 * naming the provider instance but none of its URLs or answers (those go to
 * the log, which the caller does not see).
 */
export function asCallerError(error: unknown, providerInstanceId: string): ConnectError {
  const reason = reasonOf(error);
  const provider = metadataOf(error).provider_instance_id || providerInstanceId;
  const said: Partial<Record<ErrorReason, string>> = {
    [ErrorReason.SLOT_UNAVAILABLE]: `the slot is no longer available at ${provider}; search again`,
    [ErrorReason.PROVIDER_TIMEOUT]: `provider ${provider} did not answer in time; try again later`,
    [ErrorReason.PROVIDER_UNAVAILABLE]: `provider ${provider} is unavailable; try again later`,
    [ErrorReason.PROVIDER_CIRCUIT_OPEN]: `provider ${provider} is failing, and calls to it are paused for a while; try again later`,
    [ErrorReason.PROVIDER_OVERLOADED]: `provider ${provider} is busy; try again shortly`,
    [ErrorReason.PROVIDER_BAD_RESPONSE]: `provider ${provider} answered something we could not read`,
    [ErrorReason.PROVIDER_REJECTED]: `provider ${provider} refused the request`,
    [ErrorReason.PROVIDER_NOT_FOUND]: `provider ${provider} does not know the booking or slot`,
    [ErrorReason.PROVIDER_UNSUPPORTED]: `provider ${provider} does not support this`,
    [ErrorReason.PROVIDER_INSTANCE_UNKNOWN]: `provider ${provider} is not connected`,
    [ErrorReason.PROVIDER_PAUSED]: `provider ${provider} is paused: its slots cannot be reserved for now`,
  };
  const message = said[reason];
  if (!message) return ConnectError.from(error);
  return platformError(reason, message, { provider_instance_id: provider });
}

/**
 * Cancels whatever the provider has under a booking reference, as a
 * compensation: failing is logged and left to the reconciler's sweep, never
 * thrown over the answer the caller is waiting for.
 */
export async function cancelAtProvider(
  deps: Pick<UseCaseDeps, "providerAccess" | "log">,
  providerInstanceId: string,
  providerBookingRef: string,
  why: string,
): Promise<boolean> {
  try {
    await deps.providerAccess.cancelBooking({ providerInstanceId, providerBookingRef });
    return true;
  } catch (error) {
    deps.log.warn(
      { err: error, providerInstanceId, providerBookingRef, why },
      `could not cancel ${providerBookingRef} at ${providerInstanceId} (${why})`,
    );
    return false;
  }
}
