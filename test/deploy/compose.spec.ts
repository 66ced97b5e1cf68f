import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { compiledEntry } from "../../scripts/run-entry.mjs";
import { processEnvironment, systemEnvironment } from "../../src/host/system-runner.js";
import { loadTopology } from "../../src/host/topology.js";
import { sourceExists } from "./support/repo.js";

/**
 * docker-compose.yml runs what `npm start` runs. No Docker engine runs here, so this is what
 * checks the file: every process of topology.json is a compose service running the same entry
 * on the same port, with every variable src/host/system-runner.ts gives that process (with
 * Compose DNS names where the runner has 127.0.0.1), booking access's patient data key outlives
 * its container as npm start's key file does, and the collector sends traces to a viewer.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const topology = loadTopology(path.join(root, "topology.json"));

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
}
const compose = parse(readFileSync(path.join(root, "docker-compose.yml"), "utf8"), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};

const environmentOf = (service: ComposeService): Record<string, string> => {
  const env = service.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((line) => [line.split("=")[0]!, line.slice(line.indexOf("=") + 1)]));
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value ?? "")]));
};
const commandOf = (service: ComposeService) =>
  Array.isArray(service.command) ? service.command : (service.command?.split(/\s+/).filter(Boolean) ?? []);
const dependenciesOf = (service: ComposeService) =>
  Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});

/** Where each process listens inside Compose's network: its service name, its topology port. */
const composeUrls = Object.fromEntries(
  topology.processes.filter((p) => p.port !== undefined).map((p) => [p.name, `http://${p.name}:${p.port}`]),
);

describe("docker-compose.yml", () => {
  it.each(topology.processes.map((p) => [p.name, p] as const))("runs %s from the image with its topology entry", (name, spec) => {
    const service = compose.services[name];
    expect(service, `docker-compose.yml has no service ${name}`).toBeDefined();
    expect(service!.build, `${name} is built from this repository's Dockerfile`).toBe(".");
    const [entry] = commandOf(service!);
    expect(entry, `${name}'s command names its entry`).toBe(spec.entry);
    expect(sourceExists(compiledEntry(entry!)), `${entry} is a source the build compiles`).toBe(true);
  });

  it.each(topology.processes.map((p) => [p.name, p] as const))("gives %s every variable npm start gives it", (name, spec) => {
    const expected = {
      ...systemEnvironment(topology, { urls: composeUrls, dynamodbEndpoint: `http://dynamodb:${topology.dynamodb.port}`, hostEnv: {} }),
      ...processEnvironment(spec, spec.port),
    };
    const actual = environmentOf(compose.services[name] ?? {});
    const wrong = Object.entries(expected)
      .filter(([key, value]) => actual[key] !== value)
      .map(([key, value]) => `${key}: npm start gives ${JSON.stringify(value)}, compose ${JSON.stringify(actual[key])}`);
    expect(wrong, `${name}'s environment differs from npm start's`).toEqual([]);
  });

  it("listens in containers on every interface and runs the demo settings as development", () => {
    for (const spec of topology.processes) {
      const env = environmentOf(compose.services[spec.name] ?? {});
      expect(env.HOST, spec.name).toBe("0.0.0.0");
      // The image defaults to production, which refuses the demo secrets compose runs with.
      expect(env.NODE_ENV, spec.name).toBe("development");
    }
  });

  it("keeps booking access's patient data key on a volume of its own, made once before booking access starts", () => {
    // npm start makes .data/patient-data.key once and keeps it; here a container's own disk would lose it
    // with the container, and with it every patient's data stored under it.
    const bookingAccess = compose.services["booking-access"]!;
    const env = environmentOf(bookingAccess);
    expect(env.BP_PATIENT_DATA_KEY_ARN, "a key file, as locally").toBeUndefined();
    const keyFile = env.BP_PATIENT_DATA_KEY_FILE;
    expect(keyFile, "booking-access's BP_PATIENT_DATA_KEY_FILE").toMatch(/^\//);
    const mount = bookingAccess.volumes?.map((volume) => volume.split(":")).find(([, target]) => keyFile!.startsWith(`${target}/`));
    expect(mount, `a volume holds ${keyFile}`).toBeDefined();
    const [volume, target] = mount!;
    expect(compose.volumes?.[volume!], `${volume} is a named volume of this file, not a bind mount`).toBeDefined();

    // One service makes it, on the same volume and path, with the code npm start makes its key with; booking access waits for it.
    const makers = Object.entries(compose.services).filter(
      ([name, service]) => name !== "booking-access" && service.volumes?.some((v) => v.split(":")[0] === volume),
    );
    expect(makers.map(([name]) => name)).toHaveLength(1);
    const [makerName, maker] = makers[0]!;
    expect(maker.volumes?.map((v) => v.split(":").slice(0, 2).join(":"))).toContain(`${volume}:${target}`);
    expect(environmentOf(maker).BP_PATIENT_DATA_KEY_FILE).toBe(keyFile);
    const entrypoint = Array.isArray(maker.entrypoint) ? maker.entrypoint : (maker.entrypoint?.split(/\s+/) ?? []);
    const script = [...entrypoint, ...commandOf(maker)].join(" ");
    expect(script).toContain("ensurePatientDataKeyFile(");
    const imported = /"\/app\/(dist\/[^"]+\.js)"/.exec(script)?.[1];
    expect(imported && sourceExists(imported), `${imported} is a source the build compiles`).toBe(true);
    const condition = (bookingAccess.depends_on as Record<string, { condition?: string }> | undefined)?.[makerName];
    expect(condition?.condition).toBe("service_completed_successfully");
  });

  it("runs DynamoDB Local where the services look for it", () => {
    const dynamodb = compose.services.dynamodb;
    expect(dynamodb?.image).toMatch(/^amazon\/dynamodb-local(:|$)/);
    expect(commandOf(dynamodb!).join(" ")).toContain("-sharedDb");
  });

  it("sends every service's telemetry through a collector to a trace viewer", () => {
    const collectorName = Object.keys(compose.services).find((name) => compose.services[name]!.image?.includes("opentelemetry-collector"));
    expect(collectorName, "an OpenTelemetry collector service").toBeDefined();
    const collector = compose.services[collectorName!]!;
    const mount = collector.volumes?.map((volume) => volume.split(":")).find(([from]) => from?.startsWith("./"));
    expect(mount, "the collector's config file is mounted from the repository").toBeDefined();
    const [configFile, configPath] = mount!;
    expect(commandOf(collector).join(" ")).toContain(configPath);
    const config = parse(readFileSync(path.join(root, configFile!), "utf8")) as {
      receivers: Record<string, { protocols?: { http?: { endpoint?: string } } }>;
      exporters: Record<string, { endpoint?: string }>;
      service: { pipelines: Record<string, { receivers: string[]; exporters: string[] }> };
    };

    // The services' OTLP/HTTP endpoint is the collector's http receiver.
    const httpPort = config.receivers.otlp?.protocols?.http?.endpoint?.split(":").at(-1);
    for (const spec of topology.processes.filter((p) => p.layer !== "simulator")) {
      const env = environmentOf(compose.services[spec.name]!);
      expect(env.OTEL_EXPORTER_OTLP_ENDPOINT, spec.name).toBe(`http://${collectorName}:${httpPort}`);
      expect(env.OTEL_SDK_DISABLED, spec.name).toBeUndefined();
    }
    // Traces leave the collector for a viewer that is a service of this file.
    const traces = config.service.pipelines.traces!;
    expect(traces.receivers).toContain("otlp");
    const viewers = traces.exporters.map((name) => new URL(`http://${config.exporters[name]?.endpoint}`).hostname);
    const viewer = viewers.find((host) => compose.services[host]);
    expect(viewer, `traces go to ${viewers.join(", ")}, which should be a compose service`).toBeDefined();
    expect(compose.services[viewer!]!.image).toMatch(/jaeger/);
    expect(dependenciesOf(collector)).toContain(viewer);
  });
});
