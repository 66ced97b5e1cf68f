import { portFromEnv } from "../../../../../utilities/config/service-env.js";
import { createLogger } from "../../../../../utilities/logging/logger.js";
import { startSmartSimulator } from "./smart-simulator.js";

const logger = createLogger("smart-simulator");
try {
  const simulator = await startSmartSimulator({ port: portFromEnv(), host: process.env.HOST ?? "127.0.0.1", maxAgeSeconds: 60 });
  logger.info(`SMART Scheduling Links publisher on ${simulator.url}/$bulk-publish (faults: POST ${simulator.url}/__admin/faults)`);
  const stop = () => void simulator.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
} catch (error) {
  logger.fatal({ err: error }, `smart-simulator could not start: ${(error as Error).message}`);
  process.exit(1);
}
