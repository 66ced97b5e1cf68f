import { portFromEnv } from "../../../../../utilities/config/service-env.js";
import { createLogger } from "../../../../../utilities/logging/logger.js";
import { startFhirSimulator } from "./fhir-simulator.js";

const logger = createLogger("fhir-simulator");
try {
  const simulator = await startFhirSimulator({
    port: portFromEnv(),
    host: process.env.HOST ?? "127.0.0.1",
    token: process.env.FHIR_SIMULATOR_TOKEN ?? "demo-token",
  });
  logger.info(`FHIR R4 simulator listening on ${simulator.url} (faults: POST ${simulator.url}/__admin/faults)`);
  const stop = () => void simulator.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
} catch (error) {
  logger.fatal({ err: error }, `fhir-simulator could not start: ${(error as Error).message}`);
  process.exit(1);
}
