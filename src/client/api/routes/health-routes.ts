import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { sendProblem } from "../problems/problem-details.js";
import { limited, problemResponses } from "../schemas.js";

export const healthRoutes: FastifyPluginAsyncTypebox<{ ready: () => Promise<boolean> }> = async (app, { ready }) => {
  app.get(
    "/health",
    {
      schema: {
        operationId: "health",
        tags: ["operations"],
        summary: "Liveness: the API process runs",
        description: "Answers as long as the API process runs; for a load balancer's liveness check. No credential needed.",
        response: { 200: limited(Type.Object({ status: Type.Literal("ok") })) },
      },
    },
    async () => ({ status: "ok" as const }),
  );

  app.get(
    "/ready",
    {
      schema: {
        operationId: "ready",
        tags: ["operations"],
        summary: "Readiness: the services behind the API answer",
        description:
          "Answers once the services behind the API answer (the booking manager within a second); for a load balancer's readiness check. No credential needed.",
        response: { 200: limited(Type.Object({ status: Type.Literal("ready") })), ...problemResponses("not-ready") },
      },
    },
    async (request, reply) => {
      const ok = await ready().catch(() => false);
      if (!ok) return sendProblem(request, reply, "not-ready", "the booking manager does not answer");
      return { status: "ready" as const };
    },
  );
};
