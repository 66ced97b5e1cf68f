import { fileURLToPath } from "node:url";
import { BookingManagerService } from "../../managers/booking/v1/booking_manager_pb.js";
import { OnboardingManagerService } from "../../managers/onboarding/v1/onboarding_manager_pb.js";
import { assertNoDevelopmentKeyInProduction, loadSecrets } from "../../utilities/config/secrets.js";
import { portFromEnv, serviceUrl } from "../../utilities/config/service-env.js";
import { createDynamoDbClients, dynamoDbSettingsFromEnv } from "../../utilities/dynamodb/dynamodb-config.js";
import { createLogger } from "../../utilities/logging/logger.js";
import { grpcClient, grpcTransport } from "../../utilities/rpc/grpc-client.js";
import { createApiKeyStore } from "../../utilities/security/api-key-store.js";
import { createKeyVerifier } from "../../utilities/security/key-verifier.js";
import { flushTelemetry } from "../../utilities/telemetry/telemetry-sdk.js";
import { oauthSettingsFromEnv } from "./auth/authenticate.js";
import { buildApi } from "./build-api.js";

const logger = createLogger("api");
try {
  await loadSecrets();
  assertNoDevelopmentKeyInProduction();
  // API keys live in the platform's table; the security utility reads them (and remembers each for 30 s).
  const settings = dynamoDbSettingsFromEnv();
  const { documents } = createDynamoDbClients(settings);
  const app = await buildApi({
    bookingManager: grpcClient(BookingManagerService, grpcTransport(serviceUrl("booking-manager"))),
    onboardingManager: grpcClient(OnboardingManagerService, grpcTransport(serviceUrl("onboarding-manager"))),
    authentication: {
      apiKeys: createKeyVerifier(createApiKeyStore(documents, settings.tableName)),
      oauth: oauthSettingsFromEnv(),
      maxFailuresPerMinute: process.env.BP_AUTH_FAILURES_PER_MINUTE ? Number(process.env.BP_AUTH_FAILURES_PER_MINUTE) : undefined,
    },
    logger,
    // dist/client/api/server.js → dist/console/, where `npm run build` puts the operator console.
    consoleDir: fileURLToPath(new URL("../../console/", import.meta.url)),
    availabilityMaxAgeSeconds: process.env.BP_AVAILABILITY_MAX_AGE_SECONDS
      ? Number(process.env.BP_AVAILABILITY_MAX_AGE_SECONDS)
      : undefined,
  });
  const port = portFromEnv();
  const host = process.env.HOST ?? "127.0.0.1";
  await app.listen({ port, host });
  logger.info(`REST API on http://${host}:${port} (reference: /docs, OpenAPI: /openapi.json, operator console: /console/)`);
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
