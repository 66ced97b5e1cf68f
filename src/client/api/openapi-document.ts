import { createClient, createRouterTransport } from "@connectrpc/connect";
import { BookingManagerService } from "../../managers/booking/v1/booking_manager_pb.js";
import { buildApi } from "./build-api.js";

export const openApiFile = "openapi/openapi.json";

/** The OpenAPI document exactly as committed: generated from the route schemas, never written by hand. */
export async function renderOpenApiDocument(): Promise<string> {
  // The document depends on the routes only; no call reaches this manager.
  const app = await buildApi({
    authentication: { apiKeys: { verify: async () => undefined } },
    bookingManager: createClient(
      BookingManagerService,
      createRouterTransport(() => {}),
    ),
    logger: false,
  });
  await app.ready();
  const text = `${JSON.stringify(app.swagger(), null, 2)}\n`;
  await app.close();
  return text;
}
