import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { requires } from "../auth/security.js";
import type { BookingManagerClient } from "../booking-manager-client.js";
import { alwaysPossible, authenticated, ClinicSchema, idString, limited, problemResponses, ref, TreatmentSchema } from "../schemas.js";

export const catalogRoutes: FastifyPluginAsyncTypebox<{ bookingManager: BookingManagerClient }> = async (app, { bookingManager }) => {
  app.get(
    "/v1/treatments",
    {
      schema: {
        operationId: "listTreatments",
        ...requires("availability:read"),
        tags: ["catalog"],
        summary: "Every treatment in the catalog",
        description: "Every treatment Vården can offer, with its duration, minimum lead time and cancellation window.",
        response: {
          200: limited(Type.Object({ items: Type.Array(ref(TreatmentSchema), { maxItems: 10_000 }) })),
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
        description: "Every clinic, with its time zone, the treatments it offers and the provider instance behind it.",
        querystring: Type.Object(
          { treatment: Type.Optional(idString({ description: "Only clinics offering this treatment id." })) },
          { additionalProperties: false },
        ),
        response: {
          200: limited(Type.Object({ items: Type.Array(ref(ClinicSchema), { maxItems: 10_000 }) })),
          ...problemResponses("validation", ...authenticated, ...alwaysPossible),
        },
      },
    },
    async (request) => ({ items: (await bookingManager.listClinics({ treatmentId: request.query.treatment ?? "" })).clinics }),
  );
};
