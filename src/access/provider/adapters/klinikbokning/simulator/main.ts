import { portFromEnv } from "../../../../../utilities/config/service-env.js";
import { createLogger } from "../../../../../utilities/logging/logger.js";
import { startKlinikbokningSimulator } from "./klinikbokning-simulator.js";

const logger = createLogger("klinikbokning-simulator");
try {
  const simulator = await startKlinikbokningSimulator({
    port: portFromEnv(),
    host: process.env.HOST ?? "127.0.0.1",
    apiKey: process.env.KLINIKBOKNING_API_KEY ?? "demo-key",
  });
  logger.info(`Klinikbokning simulator listening on ${simulator.url} (faults: POST ${simulator.url}/__admin/faults)`);
  const stop = () => void simulator.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
} catch (error) {
  logger.fatal({ err: error }, `klinikbokning-simulator could not start: ${(error as Error).message}`);
  process.exit(1);
}
