import { appendFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { buildDist } from "../../scripts/build.mjs";
import { startOtlpReceiver } from "../../src/host/otlp-receiver.js";
import { startSystem } from "../../src/host/system-runner.js";
import { onboardingFhirToken } from "./support/onboarding-token.js";
import { systemTestPortOffset } from "./support/port-offset.js";

declare module "vitest" {
  export interface ProvidedContext {
    system: {
      apiUrl: string;
      urls: Record<string, string>;
      dynamodbEndpoint: string;
      apiKey: string;
      platformToken: string;
      /** Process ids, to pause one (SIGSTOP) and see the platform keep its deadlines. */
      pids: Record<string, number>;
      /** The deadline every request gets (BP_REQUEST_DEADLINE_MS). */
      requestDeadlineMs: number;
    };
    /** The local OTLP receiver every service exports to (GET /spans lists what arrived). */
    otlpEndpoint: string;
    /** Every line every process printed, for tests that read the logs. */
    logFile: string;
  }
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The system layer runs what `npm start` runs: every service its own process,
 * compiled to dist/ first (the same build as `npm start`'s), real gRPC between
 * them, DynamoDB Local (in memory here) and the simulators. The build runs once
 * here, for every file of this layer (crash-and-restart and start-failure too).
 * Ports are shifted (support/port-offset.ts) so that a developer's own
 * `npm start` can keep running beside it.
 */
export default async function setup(project: TestProject) {
  await buildDist({ root });
  const portOffset = systemTestPortOffset(10_000);
  // Short enough that tests which pause a service wait little, long enough for every honest request.
  const requestDeadlineMs = 4000;
  const lines: string[] = [];
  const logFile = path.join(mkdtempSync(path.join(tmpdir(), "bp-system-logs-")), "all-processes.log");
  const receiver = await startOtlpReceiver();
  const system = await startSystem({
    root,
    portOffset,
    inMemoryDatabase: true,
    otlpEndpoint: receiver.endpoint,
    // Tests inject provider faults one after another; a circuit opened by one must not fail the next.
    env: {
      BP_REQUEST_DEADLINE_MS: String(requestDeadlineMs),
      BP_PROVIDER_DEADLINE_MS: "1500",
      LOG_LEVEL: "info",
      BP_PROVIDER_RESILIENCE: JSON.stringify({ breakerThreshold: 1000 }),
      // A key of the test run's own (the runner makes it), not the developer's .data/patient-data.key.
      BP_PATIENT_DATA_KEY_FILE: path.join(mkdtempSync(path.join(tmpdir(), "bp-system-key-")), "patient-data.key"),
      // The secret of the FHIR servers the onboarding tests start (credentials are stored by this variable's name).
      BP_ONBOARDING_TEST_FHIR_TOKEN: onboardingFhirToken,
    },
    output: (service, line) => {
      lines.push(`${service} | ${line}`);
      appendFileSync(logFile, `${service} | ${line}\n`);
    },
  }).catch((error: Error) => {
    throw new Error(`${error.message}\n--- output ---\n${lines.slice(-60).join("\n")}`);
  });
  const topology = JSON.parse(readFileSync(path.join(root, "topology.json"), "utf8")) as { env: Record<string, string> };
  project.provide("system", {
    apiUrl: system.apiUrl,
    urls: system.urls,
    dynamodbEndpoint: system.dynamodbEndpoint,
    // The development key npm start makes, with every scope; tests that need other keys make them.
    apiKey: system.developmentApiKey!,
    platformToken: topology.env.BP_PLATFORM_TOKEN!,
    pids: system.pids(),
    requestDeadlineMs,
  });
  project.provide("otlpEndpoint", receiver.endpoint);
  project.provide("logFile", logFile);
  return async () => {
    await system.stop();
    await receiver.close();
  };
}
