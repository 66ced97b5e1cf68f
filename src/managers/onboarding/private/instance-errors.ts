import { ErrorReason, hasReason, platformError } from "../../../utilities/errors/platform-error.js";

/**
 * An administrator naming an instance that is not there gets "not found", not
 * the "not connected" a reservation gets: the same fact, told to whom it concerns.
 */
export function asAdminError(error: unknown, instanceId: string): unknown {
  if (hasReason(error, ErrorReason.PROVIDER_INSTANCE_UNKNOWN)) {
    return platformError(ErrorReason.PROVIDER_INSTANCE_NOT_FOUND, `no provider instance ${instanceId}`, {
      provider_instance_id: instanceId,
    });
  }
  return error;
}

export const required = (value: string, field: string) => {
  if (!value) throw platformError(ErrorReason.INVALID_ARGUMENT, `${field} is required`, { field });
  return value;
};
