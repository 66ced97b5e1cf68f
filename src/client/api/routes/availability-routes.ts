import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { Type } from "typebox";
import { ProviderStatus, TimeWindowSchema } from "../../../contracts/v1/booking_pb.js";
import { requires } from "../auth/security.js";
import type { BookingManagerClient } from "../booking-manager-client.js";
import type { AvailabilityAnswers } from "../caching/availability-answers.js";
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

export const availabilityRoutes: FastifyPluginAsyncTypebox<{
  bookingManager: BookingManagerClient;
  /** What this process keeps of its answers (caching/availability-answers.ts); shared with the reservation routes. */
  answers: AvailabilityAnswers;
  maxAgeSeconds?: number;
}> = async (app, { bookingManager, answers, maxAgeSeconds = 5 }) => {
  // Availability holds no personal data and is the same for every client: a CDN or the client may reuse it briefly.
  app.addHook("onSend", reusableFor(maxAgeSeconds));
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
          "Answers carry an `ETag` and `Cache-Control: public, max-age=…` (a few seconds): send `If-None-Match` to get 304 when nothing",
          "changed. Each provider's `asOf` says how fresh its part is; reserving always asks the provider live.",
        ].join(" "),
        headers: Type.Object({
          "if-none-match": Type.Optional(
            Type.String({ maxLength: 1000, description: "The `ETag` of an answer you kept: 304 if it still holds." }),
          ),
        }),
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
          304: Type.Null({ description: "Not modified: the `ETag` sent in `If-None-Match` still names this answer." }),
          ...problemResponses("validation", "not-found", "provider-unavailable", ...authenticated, ...alwaysPossible),
        },
      },
    },
    async (request, reply) => {
      const { treatment, from, to, pageSize, pageToken } = request.query;
      const clinicIds = [
        ...new Set(
          (request.query.clinic ?? [])
            .flatMap((c) => c.split(","))
            .map((c) => c.trim())
            .filter(Boolean),
        ),
      ].sort();
      const range = readRange(from, to);
      const answer = await answers.answer(
        { treatmentId: treatment, rest: JSON.stringify([clinicIds, from, to, pageSize ?? 20, pageToken ?? ""]) },
        async () => {
          const payload = String(reply.serialize(await search()));
          return { payload, etag: etagOf(payload) };
        },
        /no-cache/i.test(request.headers["cache-control"] ?? ""),
      );
      // How long ago it was made, so that a cache after us keeps it only for what is left of max-age (RFC 9111).
      reply.header("age", String(Math.floor((Date.now() - answer.madeAt) / 1000)));
      reply.header("etag", answer.etag);
      // Already serialized by the route's serializer when it was made: sent as it is.
      // (Typed as the body object; a string is what Fastify sends untouched.)
      return reply.type("application/json; charset=utf-8").send(answer.payload as never);

      async function search() {
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
            ...(p.asOf ? { asOf: timestampDate(p.asOf).toISOString() } : {}),
          })),
          ...(result.nextPageToken ? { nextPageToken: result.nextPageToken } : {}),
        };
      }
    },
  );
};

/**
 * A 200 answer gets a strong ETag (a hash of its body: the same slots give the same body, since a slot id
 * carries when the provider said it was free, not when it was asked) and may be reused for `maxAgeSeconds`;
 * `If-None-Match` with it answers 304 (weak comparison, as RFC 9110 says for this header). Written here,
 * not with @fastify/etag: that one tags and 304s error answers too, and a 304 must never stand in for a 503.
 * `Vary: Authorization` keeps a shared cache from handing one client's answer to a caller without a key.
 */
function reusableFor(maxAgeSeconds: number) {
  return async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (reply.statusCode !== 200 || typeof payload !== "string") return payload;
    const etag = String(reply.getHeader("etag") ?? etagOf(payload));
    reply.header("etag", etag);
    reply.header("cache-control", `public, max-age=${maxAgeSeconds}`);
    reply.header("vary", "authorization");
    const wanted = request.headers["if-none-match"];
    if (wanted && (wanted.trim() === "*" || wanted.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag))) {
      reply.code(304);
      return "";
    }
    return payload;
  };
}

function etagOf(payload: string): string {
  return `"${createHash("sha256").update(payload).digest("base64url").slice(0, 32)}"`;
}

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
