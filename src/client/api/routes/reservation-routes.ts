import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { HttpProblem } from "../problem-details.js";
import { PatientSchema, ReservationSchema, problemResponses, ref } from "../schemas.js";

/*
 * The reservation routes, contract first: their shapes are in the OpenAPI
 * document already so Vården can build against them, but they answer 501
 * until reservations land (issue #3).
 */
const notYet = async () => {
  throw new HttpProblem(501, "not-implemented", "reservations are not implemented yet");
};

const idempotencyKey = Type.Object({
  "idempotency-key": Type.String({
    minLength: 1,
    maxLength: 255,
    description: "Required on every unsafe request: a retry with the same key and body returns the first result.",
  }),
});
const reservationId = Type.Object({ reservationId: Type.String({ minLength: 1 }) });
const tags = ["reservations"];

export const reservationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    "/v1/reservations",
    {
      schema: {
        operationId: "createReservation",
        tags,
        summary: "Reserve a slot (not implemented yet: 501)",
        headers: idempotencyKey,
        body: Type.Object({
          slotId: Type.String({ minLength: 1, description: "A slotId from /v1/availability." }),
          treatmentId: Type.String({ minLength: 1 }),
          patient: ref(PatientSchema),
          note: Type.Optional(Type.String({ maxLength: 1000 })),
        }),
        response: { 201: ref(ReservationSchema), ...problemResponses(400, 409, 422, 501, 503) },
      },
    },
    notYet,
  );

  app.get(
    "/v1/reservations/:reservationId",
    {
      schema: {
        operationId: "getReservation",
        tags,
        summary: "Look up a reservation (not implemented yet: 501)",
        params: reservationId,
        response: { 200: ref(ReservationSchema), ...problemResponses(404, 501) },
      },
    },
    notYet,
  );

  for (const action of ["confirm", "cancel"] as const) {
    app.post(
      `/v1/reservations/:reservationId/${action}`,
      {
        schema: {
          operationId: `${action}Reservation`,
          tags,
          summary: `${action === "confirm" ? "Confirm a held" : "Cancel a"} reservation (not implemented yet: 501)`,
          headers: idempotencyKey,
          params: reservationId,
          response: { 200: ref(ReservationSchema), ...problemResponses(400, 404, 409, 422, 501) },
        },
      },
      notYet,
    );
  }

  app.get(
    "/v1/patients/:patientId/reservations",
    {
      schema: {
        operationId: "listPatientReservations",
        tags,
        summary: "A patient's reservations (not implemented yet: 501)",
        params: Type.Object({ patientId: Type.String({ minLength: 1 }) }),
        response: { 200: Type.Object({ items: Type.Array(ref(ReservationSchema)) }), ...problemResponses(404, 501) },
      },
    },
    notYet,
  );
};
