import { BookingManagerService } from "../../managers/booking/v1/booking_manager_pb.js";
import { portFromEnv, serviceUrl } from "../../utilities/config/service-env.js";
import { createLogger } from "../../utilities/logging/logger.js";
import { grpcClient, grpcTransport } from "../../utilities/rpc/grpc-client.js";
import { flushTelemetry } from "../../utilities/telemetry/telemetry-sdk.js";
import { buildApi } from "./build-api.js";

const logger = createLogger("api");
try {
  const app = await buildApi({
    bookingManager: grpcClient(BookingManagerService, grpcTransport(serviceUrl("booking-manager"))),
    logger,
  });
  const port = portFromEnv();
  const host = process.env.HOST ?? "127.0.0.1";
  await app.listen({ port, host });
  logger.info(`REST API on http://${host}:${port} (reference: /docs, OpenAPI: /openapi.json)`);
  const stop = () =>
    void app
      .close()
      .then(flushTelemetry)
      .then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
} catch (error) {
  logger.fatal({ err: error }, `api could not start: ${(error as Error).message}`);
  process.exit(1);
}
