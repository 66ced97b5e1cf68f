import type { FastifyInstance } from "fastify";
import { platformMeter } from "../../utilities/telemetry/meter.js";

/** Request rate, errors and latency per route: one histogram, by route template, method and status. */
export function registerRequestMetrics(app: FastifyInstance): void {
  const duration = platformMeter().createHistogram("http.server.request.duration", {
    unit: "s",
    description: "REST requests by route, method and status (count = rate; status >= 500 = errors)",
  });
  app.addHook("onResponse", async (request, reply) => {
    duration.record(reply.elapsedTime / 1000, {
      // The template (/v1/reservations/:reservationId), never the path with its ids.
      "http.route": request.routeOptions.url ?? "unmatched",
      "http.request.method": request.method,
      "http.response.status_code": reply.statusCode,
    });
  });
}
