import { portFromEnv } from "../../../../../utilities/config/service-env.js";
import { createLogger } from "../../../../../utilities/logging/logger.js";
import { startFhirSimulator } from "./fhir-simulator.js";

const logger = createLogger("fhir-simulator");
try {
  // FHIR_SIMULATOR_OPERATIONS=ihe: also offer the IHE ITI Scheduling operations ($find, $hold, $book).
  const operations = process.env.FHIR_SIMULATOR_OPERATIONS === "ihe" ? "ihe" : "none";
  const simulator = await startFhirSimulator({
    port: portFromEnv(),
    host: process.env.HOST ?? "127.0.0.1",
    token: process.env.FHIR_SIMULATOR_TOKEN ?? "demo-token",
    operations,
    holdSeconds: process.env.FHIR_SIMULATOR_HOLD_SECONDS ? Number(process.env.FHIR_SIMULATOR_HOLD_SECONDS) : undefined,
  });
  logger.info(
    `FHIR R4 simulator listening on ${simulator.url}, ${operations === "ihe" ? "with" : "without"} the IHE scheduling operations (faults: POST ${simulator.url}/__admin/faults)`,
  );
  const stop = () => void simulator.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
} catch (error) {
  logger.fatal({ err: error }, `fhir-simulator could not start: ${(error as Error).message}`);
  process.exit(1);
}
