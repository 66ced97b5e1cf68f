import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ProviderStatus, TimeWindowSchema } from "../../../contracts/v1/booking_pb.js";
import { requires } from "../auth/security.js";
import type { BookingManagerClient } from "../booking-manager-client.js";
import { validationProblem } from "../problems/problem-details.js";
import { alwaysPossible, authenticated, idString, limited, ProviderOutcomeSchema, problemResponses, ref, SlotSchema } from "../schemas.js";

const maxRangeDays = 31;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;
const instantPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

const statusNames: Record<ProviderStatus, "ok" | "timeout" | "error" | "circuit-open"> = {
  [ProviderStatus.UNSPECIFIED]: "error",
  [ProviderStatus.OK]: "ok",
  [ProviderStatus.TIMEOUT]: "timeout",
  [ProviderStatus.ERROR]: "error",
  [ProviderStatus.CIRCUIT_OPEN]: "circuit-open",
};

export const availabilityRoutes: FastifyPluginAsyncTypebox<{ bookingManager: BookingManagerClient }> = async (app, { bookingManager }) => {
  app.get(
    "/v1/availability",
    {
      schema: {
        operationId: "searchAvailability",
        ...requires("availability:read"),
        tags: ["availability"],
        summary: "Free time slots for a treatment across every connected provider",
        description: [
          "`from` and `to` are either both calendar dates (`2026-03-29`; read in each clinic's own time zone, `to` inclusive)",
          "or both RFC 3339 instants with an offset (`2026-03-29T00:00:00Z`; `to` exclusive). At most 31 days.",
          "Providers that fail are listed in `providers` with their status; the others' slots are still returned.",
          "If no provider answered at all the response is 503 naming them.",
        ].join(" "),
        querystring: Type.Object(
          {
            treatment: idString({ description: "Treatment id." }),
            clinic: Type.Optional(
              Type.Array(Type.String({ minLength: 1, maxLength: 1000, pattern: "^[A-Za-z0-9][A-Za-z0-9._:,-]*$" }), {
                maxItems: 20,
                description: "Only these clinics: repeat the parameter or separate ids with commas (at most 20).",
              }),
            ),
            from: Type.String({ minLength: 10, maxLength: 40, description: "Start date (YYYY-MM-DD) or instant (RFC 3339)." }),
            to: Type.String({
              minLength: 10,
              maxLength: 40,
              description: "End date, inclusive (YYYY-MM-DD), or instant, exclusive (RFC 3339).",
            }),
            pageSize: Type.Optional(Type.Integer({ format: "int32", minimum: 1, maximum: 100, default: 20 })),
            pageToken: Type.Optional(
              Type.String({ maxLength: 500, pattern: "^[A-Za-z0-9_-]+$", description: "`nextPageToken` of the previous page." }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: limited(
            Type.Object({
              items: Type.Array(ref(SlotSchema), { maxItems: 100 }),
              providers: Type.Array(ref(ProviderOutcomeSchema), { maxItems: 1000 }),
              nextPageToken: Type.Optional(Type.String({ maxLength: 500, pattern: "^[A-Za-z0-9_-]+$" })),
            }),
          ),
          ...problemResponses("validation", "not-found", "provider-unavailable", ...authenticated, ...alwaysPossible),
        },
      },
    },
    async (request) => {
      const { treatment, from, to, pageSize, pageToken } = request.query;
      const clinicIds = (request.query.clinic ?? [])
        .flatMap((c) => c.split(","))
        .map((c) => c.trim())
        .filter(Boolean);
      const range = readRange(from, to);
      const result = await bookingManager.searchAvailability({
        treatmentId: treatment,
        clinicIds,
        pageSize: pageSize ?? 20,
        pageToken: pageToken ?? "",
        ...range,
      });
      return {
        items: result.slots.map((slot) => ({
          slotId: slot.slotId,
          clinicId: slot.clinicId,
          treatmentId: slot.treatmentId,
          start: timestampDate(slot.start!).toISOString(),
          end: timestampDate(slot.end!).toISOString(),
          localStart: slot.localStart,
          localEnd: slot.localEnd,
          timeZone: slot.timeZone,
          practitionerName: slot.practitionerName,
          providerInstanceId: slot.providerInstanceId,
          ...(slot.bookingLink ? { bookingLink: slot.bookingLink } : {}),
          ...(slot.bookingPhone ? { bookingPhone: slot.bookingPhone } : {}),
          ...(slot.remainingCapacity !== undefined ? { remainingCapacity: slot.remainingCapacity } : {}),
        })),
        providers: result.providers.map((p) => ({
          providerInstanceId: p.providerInstanceId,
          status: statusNames[p.status],
          ...(p.detail ? { detail: p.detail } : {}),
          slotCount: p.slotCount,
        })),
        ...(result.nextPageToken ? { nextPageToken: result.nextPageToken } : {}),
      };
    },
  );
};

function readRange(from: string, to: string) {
  if (datePattern.test(from) || datePattern.test(to)) {
    if (!datePattern.test(from) || !isRealDate(from)) throw validationProblem("from", "must be a date (YYYY-MM-DD) like `to`");
    if (!datePattern.test(to) || !isRealDate(to)) throw validationProblem("to", "must be a date (YYYY-MM-DD) like `from`");
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
    if (days < 0) throw validationProblem("to", "must not be before `from`");
    if (days + 1 > maxRangeDays) throw validationProblem("to", `the range may cover at most ${maxRangeDays} days`);
    return { localFromDate: from, localToDate: to };
  }
  const start = instantPattern.test(from) ? new Date(from) : undefined;
  const end = instantPattern.test(to) ? new Date(to) : undefined;
  if (!start || Number.isNaN(start.getTime()))
    throw validationProblem("from", "must be a date (YYYY-MM-DD) or an RFC 3339 instant with offset");
  if (!end || Number.isNaN(end.getTime())) throw validationProblem("to", "must be a date (YYYY-MM-DD) or an RFC 3339 instant with offset");
  if (end <= start) throw validationProblem("to", "must be after `from`");
  if (end.getTime() - start.getTime() > maxRangeDays * 86_400_000) {
    throw validationProblem("to", `the range may cover at most ${maxRangeDays} days`);
  }
  return { window: create(TimeWindowSchema, { start: timestampFromDate(start), end: timestampFromDate(end) }) };
}

function isRealDate(date: string): boolean {
  const parsed = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(date);
}
