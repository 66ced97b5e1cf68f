import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { ProviderAccessService } from "../../access/provider/v1/provider_access_pb.js";
import {
  type Offering,
  type ProviderOutcome,
  ProviderOutcomeSchema,
  ProviderStatus,
  type Slot,
  SlotSchema,
  TimeWindowSchema,
} from "../../contracts/v1/booking_pb.js";
import { ErrorReason, hasReason, platformError, reasonOf } from "../../utilities/errors/platform-error.js";
import type { SlotTokens } from "../../utilities/security/slot-token.js";
import { localDatesWindow, toLocalIso } from "../../utilities/time/local-time.js";
import { compareCursors, decodePageToken, encodePageToken, type SlotCursor } from "./private/page-token.js";
import {
  type AvailabilityEngineService,
  type FindAvailabilityRequest,
  FindAvailabilityResponseSchema,
  ResolveSlotResponseSchema,
} from "./v1/availability_engine_pb.js";

export const defaultPageSize = 20;
export const maxPageSize = 100;

export interface AvailabilityEngineDeps {
  providerAccess: Client<typeof ProviderAccessService>;
  slotTokens: SlotTokens;
  now?: () => Date;
  /** How long one provider may take before its answer is left out of a search. */
  providerDeadlineMs?: number;
}

interface Candidate {
  slot: Slot;
  cursor: SlotCursor;
}

export function createAvailabilityEngine(deps: AvailabilityEngineDeps): ServiceImpl<typeof AvailabilityEngineService> {
  const now = deps.now ?? (() => new Date());
  const providerDeadlineMs = deps.providerDeadlineMs ?? 4000;

  return {
    resolveSlot(request) {
      const checked = deps.slotTokens.check(request.slotId, now());
      if (!checked.ok && checked.problem === "expired") {
        throw platformError(
          ErrorReason.SLOT_ID_EXPIRED,
          `the slot id was handed out at ${checked.issuedAt?.toISOString()}, too long ago: search again`,
        );
      }
      if (!checked.ok) {
        throw platformError(
          ErrorReason.SLOT_ID_INVALID,
          "slot_id is not one this platform handed out (altered, or signed with a retired key)",
        );
      }
      const slot = checked.slot;
      return create(ResolveSlotResponseSchema, {
        providerInstanceId: slot.providerInstanceId,
        providerSlotId: slot.providerSlotId,
        clinicId: slot.clinicId,
        treatmentId: slot.treatmentId,
        start: timestampFromDate(new Date(slot.start)),
        end: timestampFromDate(new Date(slot.end)),
      });
    },

    async findAvailability(request) {
      if (!request.treatment?.id) throw platformError(ErrorReason.INVALID_ARGUMENT, "treatment is required");
      const pageSize = request.pageSize === 0 ? defaultPageSize : request.pageSize;
      if (pageSize < 1 || pageSize > maxPageSize) {
        throw platformError(ErrorReason.INVALID_ARGUMENT, `page_size must be between 1 and ${maxPageSize}`);
      }
      const after = request.pageToken ? decodePageToken(request.pageToken) : undefined;
      const windowFor = windowResolver(request);
      const searchStart = now();

      const answers = await Promise.all(
        request.offerings.map(async (offering) => {
          const window = windowFor(offering);
          try {
            const response = await deps.providerAccess.findOpenSlots(
              {
                providerInstanceId: offering.providerInstanceId,
                providerClinicCode: offering.providerClinicCode,
                providerTreatmentCode: offering.providerTreatmentCode,
                window: create(TimeWindowSchema, { start: timestampFromDate(window.start), end: timestampFromDate(window.end) }),
              },
              { timeoutMs: providerDeadlineMs },
            );
            const candidates: Candidate[] = [];
            // A slot id says when the slot was seen free: the provider's answer, which may come from provider access's cache.
            // The same answer thus gives the same ids, and the same response body (an ETag that holds).
            const seenAt = response.asOf ? timestampDate(response.asOf) : searchStart;
            for (const providerSlot of response.slots) {
              if (!providerSlot.start || !providerSlot.end) continue;
              const start = timestampDate(providerSlot.start);
              const end = timestampDate(providerSlot.end);
              // Providers are asked for whole days; the window and "not already begun" are our rules.
              if (start < window.start || start >= window.end || start <= searchStart) continue;
              candidates.push({
                cursor: { start: start.getTime(), clinicId: offering.clinicId, providerSlotId: providerSlot.providerSlotId },
                slot: create(SlotSchema, {
                  slotId: deps.slotTokens.sign(
                    {
                      providerInstanceId: offering.providerInstanceId,
                      providerSlotId: providerSlot.providerSlotId,
                      clinicId: offering.clinicId,
                      treatmentId: offering.treatmentId,
                      start: start.getTime(),
                      end: end.getTime(),
                    },
                    seenAt,
                  ),
                  clinicId: offering.clinicId,
                  treatmentId: offering.treatmentId,
                  start: providerSlot.start,
                  end: providerSlot.end,
                  localStart: toLocalIso(start, offering.timeZone),
                  localEnd: toLocalIso(end, offering.timeZone),
                  timeZone: offering.timeZone,
                  practitionerName: providerSlot.practitionerName,
                  providerInstanceId: offering.providerInstanceId,
                  bookingLink: providerSlot.bookingLink,
                  bookingPhone: providerSlot.bookingPhone,
                  remainingCapacity: providerSlot.remainingCapacity,
                }),
              });
            }
            return { offering, candidates, failure: undefined, asOf: response.asOf };
          } catch (error) {
            // A paused provider is not searched, and not a failure either: it is simply not in the answer.
            if (hasReason(error, ErrorReason.PROVIDER_PAUSED))
              return { offering, candidates: [] as Candidate[], failure: undefined, paused: true };
            return { offering, candidates: [] as Candidate[], failure: ConnectError.from(error) };
          }
        }),
      );

      const providers = new Map<string, ProviderOutcome>();
      for (const { offering, candidates, failure, paused, asOf } of answers) {
        if (paused) continue;
        const outcome =
          providers.get(offering.providerInstanceId) ??
          create(ProviderOutcomeSchema, { providerInstanceId: offering.providerInstanceId, status: ProviderStatus.OK });
        providers.set(offering.providerInstanceId, outcome);
        outcome.slotCount += candidates.length;
        // The provider's part of the answer is as fresh as the oldest of its answers.
        if (asOf && (!outcome.asOf || timestampDate(asOf) < timestampDate(outcome.asOf))) outcome.asOf = asOf;
        if (failure && outcome.status === ProviderStatus.OK) {
          outcome.status = statusOf(failure);
          outcome.detail = failure.rawMessage;
        }
      }

      const all = answers
        .flatMap((answer) => answer.candidates)
        .sort((a, b) => compareCursors(a.cursor, b.cursor))
        .filter((candidate) => !after || compareCursors(candidate.cursor, after) > 0);
      const page = all.slice(0, pageSize);
      const last = page.at(-1);
      return create(FindAvailabilityResponseSchema, {
        slots: page.map((candidate) => candidate.slot),
        providers: [...providers.values()],
        nextPageToken: all.length > pageSize && last ? encodePageToken(last.cursor) : "",
      });
    },
  };
}

function windowResolver(request: FindAvailabilityRequest): (offering: Offering) => { start: Date; end: Date } {
  const hasDates = request.localFromDate !== "" || request.localToDate !== "";
  if (request.window && hasDates) {
    throw platformError(ErrorReason.INVALID_ARGUMENT, "give either a window of instants or local dates, not both");
  }
  if (request.window?.start && request.window.end) {
    const window = { start: timestampDate(request.window.start), end: timestampDate(request.window.end) };
    if (window.end <= window.start) throw platformError(ErrorReason.INVALID_ARGUMENT, "window end must be after its start");
    return () => window;
  }
  if (!request.localFromDate || !request.localToDate) {
    throw platformError(ErrorReason.INVALID_ARGUMENT, "a window of instants or local_from_date and local_to_date is required");
  }
  if (request.localToDate < request.localFromDate) {
    throw platformError(ErrorReason.INVALID_ARGUMENT, "local_to_date must not be before local_from_date");
  }
  const byZone = new Map<string, { start: Date; end: Date }>();
  return (offering) => {
    let window = byZone.get(offering.timeZone);
    if (!window) {
      try {
        window = localDatesWindow(request.localFromDate, request.localToDate, offering.timeZone);
      } catch (error) {
        throw platformError(ErrorReason.INVALID_ARGUMENT, String((error as Error).message));
      }
      byZone.set(offering.timeZone, window);
    }
    return window;
  };
}

function statusOf(error: ConnectError): ProviderStatus {
  switch (reasonOf(error)) {
    case ErrorReason.PROVIDER_TIMEOUT:
      return ProviderStatus.TIMEOUT;
    case ErrorReason.PROVIDER_CIRCUIT_OPEN:
    case ErrorReason.PROVIDER_OVERLOADED:
      return ProviderStatus.CIRCUIT_OPEN;
    default:
      // Our own deadline for this provider passed before provider access answered.
      return error.code === Code.DeadlineExceeded ? ProviderStatus.TIMEOUT : ProviderStatus.ERROR;
  }
}
