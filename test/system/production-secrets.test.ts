import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const demo = (JSON.parse(readFileSync(path.join(root, "topology.json"), "utf8")) as { env: Record<string, string> }).env;
const strong = {
  BP_SLOT_TOKEN_SECRET: "a-slot-token-secret-of-production-strength",
  BP_PATIENT_ID_SECRET: "a-patient-id-secret-of-production-strength",
  BP_PLATFORM_TOKEN: "a-platform-token-of-production-strength-0",
};

/** Starts a compiled service the way ECS would (NODE_ENV=production) and returns how it ended, within 20 s. */
function runInProduction(entry: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, "dist", entry)], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: "production",
        PORT: "0",
        AWS_REGION: "eu-north-1",
        BP_URL_BOOKING_MANAGER: "http://127.0.0.1:1",
        BP_URL_CATALOG_ACCESS: "http://127.0.0.1:1",
        BP_URL_BOOKING_ACCESS: "http://127.0.0.1:1",
        BP_URL_PROVIDER_ACCESS: "http://127.0.0.1:1",
        BP_URL_AVAILABILITY_ENGINE: "http://127.0.0.1:1",
        BP_URL_RESERVATION_ENGINE: "http://127.0.0.1:1",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * The demo secrets of topology.json would let anyone forge slot ids and platform calls, or compute
 * patient ids: in production each service refuses to start with one, naming the variable.
 */
describe("production refuses the demo secrets", () => {
  it.each([
    ["availability-engine", "BP_SLOT_TOKEN_SECRET", "engines/availability/server.js"],
    ["booking-manager", "BP_PATIENT_ID_SECRET", "managers/booking/server.js"],
    ["catalog-access", "BP_PLATFORM_TOKEN", "access/catalog/server.js"],
    ["api", "BP_PLATFORM_TOKEN", "client/api/server.js"],
  ])("%s will not start with the demo %s", async (_service, variable, entry) => {
    const { code, output } = await runInProduction(entry, { ...strong, [variable]: demo[variable]! });
    expect(code).toBe(1);
    expect(output).toContain(`${variable} is a demo value`);
  });

  it.each([
    ["api", "client/api/server.js"],
    ["booking-access", "access/booking/server.js"],
  ])("%s will not start with a development API key set", async (_service, entry) => {
    const { code, output } = await runInProduction(entry, { ...strong, BP_DEV_API_KEY: demo.BP_DEV_API_KEY! });
    expect(code).toBe(1);
    expect(output).toContain("BP_DEV_API_KEY is set; a development key is refused in production");
  });

  it.each([
    [
      "with a key file",
      { BP_PATIENT_DATA_KEY_FILE: ".data/patient-data.key" },
      "BP_PATIENT_DATA_KEY_FILE is set; production encrypts patient data under a KMS key only",
    ],
    ["without a KMS key", {}, "BP_PATIENT_DATA_KEY_ARN is not set"],
  ])("booking-access will not start %s to encrypt patient data", async (_case, env, message) => {
    const { code, output } = await runInProduction("access/booking/server.js", { ...strong, ...env });
    expect(code).toBe(1);
    expect(output).toContain(message);
  });

  it("a service starts in production with secrets of its own", async () => {
    // The reservation engine reads no table, so nothing else is needed; it is stopped once it listens.
    const child = spawn(process.execPath, [path.join(root, "dist/engines/reservation/server.js")], {
      cwd: root,
      env: { PATH: process.env.PATH, NODE_ENV: "production", PORT: "0", ...strong },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const listening = await new Promise<boolean>((resolve) => {
      child.stdout.on("data", (chunk: Buffer) => String(chunk).includes("listening") && resolve(true));
      child.once("exit", () => resolve(false));
      setTimeout(() => resolve(false), 20_000);
    });
    child.kill("SIGTERM");
    expect(listening).toBe(true);
  });
});
