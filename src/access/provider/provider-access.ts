import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { ProviderSlotSchema } from "../../contracts/v1/booking_pb.js";
import type { AdapterFactory, ProviderAdapter, ProviderInstanceConfig } from "./adapter.js";
import { ProviderError, type ProviderErrorKind } from "./provider-error.js";
import {
  CapabilitiesSchema,
  DescribeProvidersResponseSchema,
  FindOpenSlotsResponseSchema,
  ProviderInstanceSchema,
  type ProviderAccessService,
} from "./v1/provider_access_pb.js";

export interface ProviderAccessDeps {
  instances: ProviderInstanceConfig[];
  adapters: Record<string, AdapterFactory>;
  /** Deadline for one provider call; the caller's own deadline applies too. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** How each failure kind reaches callers over gRPC; the message always names the provider instance. */
const codeOf: Record<ProviderErrorKind, Code> = {
  timeout: Code.DeadlineExceeded,
  unavailable: Code.Unavailable,
  // Not our fault and not retryable as is: the provider broke its own contract.
  "bad-response": Code.Internal,
  rejected: Code.PermissionDenied,
  "not-found": Code.NotFound,
};

export function createProviderAccess(deps: ProviderAccessDeps): ServiceImpl<typeof ProviderAccessService> {
  const timeoutMs = deps.timeoutMs ?? 3000;
  const instances = new Map<string, { config: ProviderInstanceConfig; adapter: ProviderAdapter }>();
  for (const config of deps.instances) {
    const factory = deps.adapters[config.adapter];
    if (!factory) throw new Error(`provider instance ${config.id} uses unknown adapter ${config.adapter}`);
    instances.set(config.id, { config, adapter: factory(config, deps.fetch) });
  }

  const find = (id: string) => {
    const instance = instances.get(id);
    if (!instance) throw new ConnectError(`no provider instance ${id}`, Code.NotFound);
    return instance;
  };

  return {
    async findOpenSlots(request, context) {
      const { config, adapter } = find(request.providerInstanceId);
      if (!request.window?.start || !request.window.end) throw new ConnectError("window is required", Code.InvalidArgument);
      if (!request.providerClinicCode || !request.providerTreatmentCode) {
        throw new ConnectError("provider_clinic_code and provider_treatment_code are required", Code.InvalidArgument);
      }
      const signal = AbortSignal.any([context.signal, AbortSignal.timeout(timeoutMs)]);
      try {
        const slots = await adapter.findOpenSlots(
          {
            clinicCode: request.providerClinicCode,
            treatmentCode: request.providerTreatmentCode,
            window: { start: timestampDate(request.window.start), end: timestampDate(request.window.end) },
          },
          signal,
        );
        return create(FindOpenSlotsResponseSchema, {
          slots: slots.map((slot) =>
            create(ProviderSlotSchema, {
              providerSlotId: slot.providerSlotId,
              start: timestampFromDate(slot.start),
              end: timestampFromDate(slot.end),
              practitionerCode: slot.practitionerCode,
              practitionerName: slot.practitionerName,
            }),
          ),
        });
      } catch (error) {
        if (error instanceof ProviderError) throw new ConnectError(error.message, codeOf[error.kind]);
        // An adapter bug must not take the service down, and must still say whose call failed.
        throw new ConnectError(`provider ${config.id} failed unexpectedly: ${(error as Error).message}`, Code.Internal);
      }
    },

    describeProviders() {
      return create(DescribeProvidersResponseSchema, {
        providers: [...instances.values()].map(({ config, adapter }) =>
          create(ProviderInstanceSchema, {
            id: config.id,
            adapter: config.adapter,
            capabilities: create(CapabilitiesSchema, adapter.capabilities),
          }),
        ),
      });
    },
  };
}
