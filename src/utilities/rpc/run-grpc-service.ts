import type { ConnectRouter } from "@connectrpc/connect";
import { assertNoDevelopmentKeyInProduction, loadSecrets, rotatingSecret } from "../config/secrets.js";
import { portFromEnv } from "../config/service-env.js";
import { createLogger, type Logger } from "../logging/logger.js";
import { flushTelemetry } from "../telemetry/telemetry-sdk.js";
import { serveGrpc } from "./serve-grpc.js";

/**
 * The `main` of every gRPC service process: serve on $PORT, say so in one log
 * line, and shut down cleanly on SIGTERM/SIGINT. A failure to start (a port in
 * use, a missing setting) exits non-zero with the reason, so that whoever runs
 * the process (npm start, ECS) can name the service that failed.
 */
export async function runGrpcService(
  name: string,
  build: (logger: Logger) => Promise<(router: ConnectRouter) => void> | ((router: ConnectRouter) => void),
  options: { onClose?: () => Promise<void> } = {},
): Promise<void> {
  const logger = createLogger(name);
  try {
    // Secrets first (from AWS Secrets Manager where configured), and production's refusals before anything serves.
    const loaded = await loadSecrets();
    if (loaded.length > 0) logger.info({ secrets: loaded }, `read ${loaded.length} secrets from Secrets Manager`);
    assertNoDevelopmentKeyInProduction();
    const platformTokens = rotatingSecret("BP_PLATFORM_TOKEN");
    const port = portFromEnv();
    const routes = await build(logger);
    const server = await serveGrpc(routes, port, process.env.HOST ?? "127.0.0.1", platformTokens);
    logger.info({ port: server.port }, `${name} listening (gRPC, h2c) on port ${server.port}`);
    let closing = false;
    const shutdown = async (signal: string) => {
      if (closing) return;
      closing = true;
      logger.info({ signal }, `${name} shutting down`);
      await server.close();
      await options.onClose?.();
      await flushTelemetry();
      process.exit(0);
    };
    process.once("SIGTERM", () => void shutdown("SIGTERM"));
    process.once("SIGINT", () => void shutdown("SIGINT"));
  } catch (error) {
    logger.fatal({ err: error }, `${name} could not start: ${(error as Error).message}`);
    process.exit(1);
  }
}
