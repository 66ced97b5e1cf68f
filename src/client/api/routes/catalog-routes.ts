import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { BookingManagerClient } from "../booking-manager-client.js";
import { ClinicSchema, TreatmentSchema, problemResponses, ref } from "../schemas.js";

export const catalogRoutes: FastifyPluginAsyncTypebox<{ bookingManager: BookingManagerClient }> = async (app, { bookingManager }) => {
  app.get(
    "/v1/treatments",
    {
      schema: {
        operationId: "listTreatments",
        tags: ["catalog"],
        summary: "Every treatment in the catalog",
        response: { 200: Type.Object({ items: Type.Array(ref(TreatmentSchema)) }), ...problemResponses(503) },
      },
    },
    async () => {
      const { treatments } = await bookingManager.listTreatments({});
      return {
        items: treatments.map((t) => ({
          id: t.id,
          name: t.name,
          description: t.description,
          durationMinutes: t.durationMinutes,
          minLeadMinutes: t.minLeadMinutes,
          cancellationWindowHours: t.cancellationWindowHours,
        })),
      };
    },
  );

  app.get(
    "/v1/clinics",
    {
      schema: {
        operationId: "listClinics",
        tags: ["catalog"],
        summary: "Clinics, optionally only those offering a treatment",
        querystring: Type.Object({
          treatment: Type.Optional(Type.String({ minLength: 1, description: "Only clinics offering this treatment id." })),
        }),
        response: { 200: Type.Object({ items: Type.Array(ref(ClinicSchema)) }), ...problemResponses(400, 503) },
      },
    },
    async (request) => {
      const { clinics } = await bookingManager.listClinics({ treatmentId: request.query.treatment ?? "" });
      return {
        items: clinics.map((c) => ({
          id: c.id,
          name: c.name,
          city: c.city,
          address: c.address,
          timeZone: c.timeZone,
          treatmentIds: c.treatmentIds,
          providerInstanceId: c.providerInstanceId,
        })),
      };
    },
  );
};
