import { createHash } from "node:crypto";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { ConnectError } from "@connectrpc/connect";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type Static, Type } from "typebox";
import { ReservationStatus } from "../../../contracts/v1/booking_pb.js";
import type { ReservationResult } from "../../../managers/booking/v1/booking_manager_pb.js";
import { ErrorReason, hasReason, metadataOf } from "../../../utilities/errors/platform-error.js";
import { principalOf } from "../auth/authenticate.js";
import { requires } from "../auth/security.js";
import type { BookingManagerClient } from "../booking-manager-client.js";
import type { AvailabilityAnswers } from "../caching/availability-answers.js";
import { validationProblem } from "../problems/problem-details.js";
import {
  alwaysPossible,
  authenticated,
  bodyLess,
  idString,
  limited,
  PatientSchema,
  problemResponses,
  ReservationSchema,
  ref,
  withBody,
} from "../schemas.js";

const idempotencyKey = Type.Object({
  "idempotency-key": Type.String({
    minLength: 1,
    maxLength: 255,
    // Printable ASCII: a UUID, a ULID, or anything a client's library makes.
    pattern: "^[\\x21-\\x7e]+$",
    description:
      "Required on every unsafe request; keys are your client's own (another client's same key is another request). " +
      "For a reservation: a retry with the same key and body is answered as the first request was (for 24 h: the same " +
      "status, 202 included, with the reservation as it is now, or the same problem); the same key with another body is " +
      "refused (422); only a retry while the first still runs gets 409. Confirm and cancel are idempotent by the " +
      "reservation's state.",
  }),
});
const reservationId = Type.Object({ reservationId: idString() }, { additionalProperties: false });
const tags = ["reservations"];

export const reservationRoutes: FastifyPluginAsyncTypebox<{
  bookingManager: BookingManagerClient;
  /** Search answers this process keeps: whatever a reservation changes is dropped from them at once. */
  answers?: AvailabilityAnswers;
}> = async (app, { bookingManager, answers }) => {
  const changed = (treatmentId: string | undefined) => treatmentId && answers?.forgetTreatment(treatmentId);
  app.post(
    "/v1/reservations",
    {
      schema: {
        operationId: "createReservation",
        ...requires("reservations:write"),
        tags,
        summary: "Reserve a slot: a hold where the provider supports it, else a booking",
        description:
          "Always re-checked live with the provider. 201 with status `held` (confirm before `holdExpiresAt`) or `confirmed`; " +
          "202 with status `pending` when the provider did not answer in time (we verify with it; poll the reservation). " +
          "409 when the slot is taken; 422 when a rule forbids it (lead time, slot in the past) or the Idempotency-Key was used for another body.",
        headers: idempotencyKey,
        body: Type.Object(
          {
            slotId: Type.String({
              minLength: 1,
              maxLength: 2000,
              pattern: "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$",
              description: "A slotId from /v1/availability, unchanged.",
            }),
            treatmentId: idString(),
            patient: ref(PatientSchema),
            note: Type.Optional(Type.String({ maxLength: 1000, description: "For the clinic, e.g. what the visit is about." })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: limited(ref(ReservationSchema)),
          202: limited(ref(ReservationSchema)),
          ...problemResponses(
            "validation",
            "slot-id-invalid",
            "slot-expired",
            "not-found",
            "slot-taken",
            "request-in-progress",
            "concurrent-change",
            "idempotency-key-reused",
            "lead-time",
            "slot-in-past",
            "deep-link-only",
            "provider-not-connected",
            "provider-paused",
            "provider-unavailable",
            ...withBody,
            ...authenticated,
            ...alwaysPossible,
          ),
        },
      },
    },
    async (request, reply) => {
      const { slotId, treatmentId, patient, note } = request.body;
      const result = await bookingManager
        .createReservation({
          clientId: principalOf(request).clientId,
          idempotencyKey: request.headers["idempotency-key"],
          requestHash: hashBody(request.body),
          slotId,
          treatmentId,
          patient: {
            name: patient.name,
            personalIdentityNumber: patient.personalIdentityNumber ?? "",
            dateOfBirth: patient.dateOfBirth ?? "",
            phone: patient.phone,
            email: patient.email,
          },
          note: note ?? "",
        })
        .catch((error: unknown) => {
          throw namingTheBodyField(error);
        })
        // Held, or refused because the slot is gone: either way the searches kept for the treatment are out of date.
        .finally(() => changed(treatmentId));
      if (result.replayed) reply.header("idempotent-replayed", "true");
      const body = toReservation(result);
      // A replay answers as the first answer did (202 while the provider was silent), with the reservation as it is now.
      const accepted = result.replayed ? result.firstAnswerPending : body.status === "pending";
      return reply
        .code(accepted ? 202 : 201)
        .header("location", `/v1/reservations/${body.id}`)
        .send(body);
    },
  );

  app.get(
    "/v1/reservations/:reservationId",
    {
      schema: {
        operationId: "getReservation",
        ...requires("reservations:read"),
        tags,
        summary: "Look up a reservation",
        description:
          "The reservation as it stands now; a hold past its expiry reads as `expired`. Another client's reservation is not found (404).",
        params: reservationId,
        response: {
          200: limited(ref(ReservationSchema)),
          ...problemResponses("validation", "not-found", ...authenticated, ...alwaysPossible),
        },
      },
    },
    async (request) =>
      toReservation(await bookingManager.getReservation({ id: request.params.reservationId, clientId: principalOf(request).clientId })),
  );

  app.post(
    "/v1/reservations/:reservationId/confirm",
    {
      schema: {
        operationId: "confirmReservation",
        ...requires("reservations:write"),
        tags,
        summary: "Confirm a held reservation before its hold expires",
        description: "Confirming a confirmed reservation returns it unchanged. 422 when the hold has expired.",
        headers: idempotencyKey,
        params: reservationId,
        response: {
          200: limited(ref(ReservationSchema)),
          ...problemResponses(
            "validation",
            "not-found",
            "hold-expired",
            "reservation-state",
            "reservation-pending",
            "concurrent-change",
            "provider-error",
            "not-supported",
            "provider-unavailable",
            ...bodyLess,
            ...authenticated,
            ...alwaysPossible,
          ),
        },
      },
    },
    async (request) =>
      toReservation(
        await bookingManager
          .confirmReservation({ id: request.params.reservationId, clientId: principalOf(request).clientId })
          .then((result) => {
            changed(result.reservation?.treatmentId);
            return result;
          }),
      ),
  );

  app.post(
    "/v1/reservations/:reservationId/cancel",
    {
      schema: {
        operationId: "cancelReservation",
        ...requires("reservations:write"),
        tags,
        summary: "Cancel a held or confirmed reservation",
        description:
          "Cancelling a cancelled reservation returns it unchanged. 422 inside the treatment's cancellation window; " +
          "409 while the reservation is still pending verification.",
        headers: idempotencyKey,
        params: reservationId,
        response: {
          200: limited(ref(ReservationSchema)),
          ...problemResponses(
            "validation",
            "not-found",
            "reservation-state",
            "reservation-pending",
            "cancellation-window",
            "slot-in-past",
            "concurrent-change",
            "provider-error",
            "not-supported",
            "provider-unavailable",
            ...bodyLess,
            ...authenticated,
            ...alwaysPossible,
          ),
        },
      },
    },
    async (request) =>
      toReservation(
        await bookingManager
          .cancelReservation({ id: request.params.reservationId, clientId: principalOf(request).clientId })
          .then((result) => {
            changed(result.reservation?.treatmentId);
            return result;
          }),
      ),
  );

  app.get(
    "/v1/reservations/changes",
    {
      schema: {
        operationId: "listReservationChanges",
        ...requires("reservations:read"),
        tags,
        summary: "Every change to your client's reservations, oldest first, after a cursor",
        description:
          "The change feed: each time one of your reservations changes status (held, confirmed, cancelled, released, " +
          "expired), or the clinic cancels or moves a booking at its own system, a change is added here. Read it from " +
          "the `nextCursor` you kept last time (omit `after` the first time); changes are kept 7 days and delivered at " +
          "least once (a re-read from an older cursor gives them again). Changes from the last 2 seconds appear on the " +
          "next read, so that none is ever skipped.",
        querystring: Type.Object(
          {
            after: Type.Optional(
              Type.String({ maxLength: 300, pattern: "^[A-Za-z0-9_-]*$", description: "The `nextCursor` of the previous read." }),
            ),
            limit: Type.Optional(Type.Integer({ format: "int32", minimum: 1, maximum: 500, default: 100 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: limited(
            Type.Object({
              items: Type.Array(ReservationChangeSchema, { maxItems: 500 }),
              nextCursor: Type.String({ maxLength: 300, pattern: "^[A-Za-z0-9_-]*$", description: "Read from here next time." }),
            }),
          ),
          ...problemResponses("validation", ...authenticated, ...alwaysPossible),
        },
      },
    },
    async (request) => {
      const { changes, nextCursor } = await bookingManager.listReservationChanges({
        clientId: principalOf(request).clientId,
        after: request.query.after ?? "",
        limit: request.query.limit ?? 100,
      });
      return {
        items: changes.map((change) => ({
          cursor: change.cursor,
          reservationId: change.reservationId,
          status: statusName(change.status),
          ...(change.statusReason ? { statusReason: change.statusReason } : {}),
          occurredAt: timestampDate(change.occurredAt!).toISOString(),
          ...(change.start ? { start: timestampDate(change.start).toISOString() } : {}),
          ...(change.end ? { end: timestampDate(change.end).toISOString() } : {}),
        })),
        nextCursor,
      };
    },
  );

  app.get(
    "/v1/patients/:patientId/reservations",
    {
      schema: {
        operationId: "listPatientReservations",
        ...requires("reservations:read"),
        tags,
        summary: "A patient's reservations, by start",
        description: "patientId is the opaque id every reservation of the patient carries; it never contains personal data.",
        params: Type.Object({ patientId: idString() }, { additionalProperties: false }),
        response: {
          200: limited(Type.Object({ items: Type.Array(ref(ReservationSchema), { maxItems: 10_000 }) })),
          ...problemResponses("validation", ...authenticated, ...alwaysPossible),
        },
      },
    },
    async (request) => {
      const { reservations } = await bookingManager.listPatientReservations({
        patientId: request.params.patientId,
        clientId: principalOf(request).clientId,
      });
      return { items: reservations.map(toReservation) };
    },
  );
};

/** The request's fields as the booking manager's contract names them (INVALID_ARGUMENT's `field`), and as the caller wrote them. */
const bodyFields: Record<string, string> = {
  slot_id: "body.slotId",
  treatment_id: "body.treatmentId",
  patient: "body.patient",
  "patient.personal_identity_number": "body.patient.personalIdentityNumber",
};

/** A field the booking manager refused (the schema lets a personnummer's form through; the manager checks the number) is named as the caller sent it. */
function namingTheBodyField(error: unknown): unknown {
  const field = hasReason(error, ErrorReason.INVALID_ARGUMENT) ? bodyFields[metadataOf(error).field ?? ""] : undefined;
  return field ? validationProblem(field, ConnectError.from(error).rawMessage) : error;
}

/**
 * Same body, same hash, whatever the key order or spacing the client used. The
 * body has passed its schema (no unknown fields, every string bounded), so the
 * hash is taken over its known fields in a fixed order: no recursion over what
 * a client sent.
 */
function hashBody(body: ReservationRequestBody): string {
  const { patient } = body;
  const fields = [
    body.slotId,
    body.treatmentId,
    body.note ?? null,
    patient.name,
    patient.personalIdentityNumber ?? null,
    patient.dateOfBirth ?? null,
    patient.phone,
    patient.email,
  ];
  return createHash("sha256").update(JSON.stringify(fields)).digest("base64url");
}

interface ReservationRequestBody {
  slotId: string;
  treatmentId: string;
  note?: string;
  patient: Static<typeof PatientSchema>;
}

/** One entry of the change feed. */
const ReservationChangeSchema = Type.Object({
  cursor: Type.String({ maxLength: 300, pattern: "^[A-Za-z0-9_-]+$" }),
  reservationId: idString(),
  status: Type.Union(
    [
      Type.Literal("pending"),
      Type.Literal("held"),
      Type.Literal("confirmed"),
      Type.Literal("cancelled"),
      Type.Literal("released"),
      Type.Literal("expired"),
    ],
    { description: "The reservation's status after this change." },
  ),
  statusReason: Type.Optional(Type.String({ maxLength: 500, description: "Why, e.g. `cancelled at the clinic`." })),
  occurredAt: Type.String({ format: "date-time", maxLength: 40 }),
  start: Type.Optional(
    Type.String({ format: "date-time", maxLength: 40, description: "The start after this change (a move changes it)." }),
  ),
  end: Type.Optional(Type.String({ format: "date-time", maxLength: 40 })),
});

/** The response shape, straight from the route schema, so the two cannot drift apart. */
type ReservationBody = Static<typeof ReservationSchema>;

const statusNames: Record<Exclude<ReservationStatus, ReservationStatus.UNSPECIFIED>, ReservationBody["status"]> = {
  [ReservationStatus.PENDING]: "pending",
  [ReservationStatus.HELD]: "held",
  [ReservationStatus.CONFIRMED]: "confirmed",
  [ReservationStatus.CANCELLED]: "cancelled",
  [ReservationStatus.RELEASED]: "released",
  [ReservationStatus.EXPIRED]: "expired",
};

function statusName(status: ReservationStatus): ReservationBody["status"] {
  if (status === ReservationStatus.UNSPECIFIED) throw new Error("the manager answered a reservation without a status");
  return statusNames[status];
}

function toReservation(result: ReservationResult): ReservationBody {
  const r = result.reservation!;
  return {
    id: r.id,
    status: statusName(r.status),
    slotId: r.slotId,
    treatmentId: r.treatmentId,
    clinicId: r.clinicId,
    start: timestampDate(r.start!).toISOString(),
    end: timestampDate(r.end!).toISOString(),
    localStart: result.localStart,
    localEnd: result.localEnd,
    timeZone: r.timeZone,
    patientId: r.patientId,
    ...(r.holdExpiresAt ? { holdExpiresAt: timestampDate(r.holdExpiresAt).toISOString() } : {}),
    ...(r.statusReason ? { statusReason: r.statusReason } : {}),
  };
}
