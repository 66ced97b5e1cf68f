import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { requires } from "../auth/security.js";
import type { BookingManagerClient } from "../booking-manager-client.js";
import { alwaysPossible, authenticated, ClinicSchema, problemResponses, ref, TreatmentSchema } from "../schemas.js";

export const catalogRoutes: FastifyPluginAsyncTypebox<{ bookingManager: BookingManagerClient }> = async (app, { bookingManager }) => {
  app.get(
    "/v1/treatments",
    {
      schema: {
        operationId: "listTreatments",
        ...requires("availability:read"),
        tags: ["catalog"],
        summary: "Every treatment in the catalog",
        response: {
          200: Type.Object({ items: Type.Array(ref(TreatmentSchema)) }),
          ...problemResponses(...authenticated, ...alwaysPossible),
        },
      },
    },
    // The response schema serializes exactly its own fields, so the contract's messages go out as they are.
    async () => ({ items: (await bookingManager.listTreatments({})).treatments }),
  );

  app.get(
    "/v1/clinics",
    {
      schema: {
        operationId: "listClinics",
        ...requires("availability:read"),
        tags: ["catalog"],
        summary: "Clinics, optionally only those offering a treatment",
        querystring: Type.Object({
          treatment: Type.Optional(Type.String({ minLength: 1, description: "Only clinics offering this treatment id." })),
        }),
        response: {
          200: Type.Object({ items: Type.Array(ref(ClinicSchema)) }),
          ...problemResponses("validation", ...authenticated, ...alwaysPossible),
        },
      },
    },
    async (request) => ({ items: (await bookingManager.listClinics({ treatmentId: request.query.treatment ?? "" })).clinics }),
  );
};
