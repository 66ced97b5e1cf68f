import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type BookingClient, createBookingClient } from "@booking-platform/client";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { ensurePatientDataKeyFile } from "../access/booking/private/patient-data-keys.js";
import { createCatalogAccess } from "../access/catalog/catalog-access.js";
import { seedCatalogIfEmpty } from "../access/catalog/seed-catalog.js";
import { CatalogAccessService } from "../access/catalog/v1/catalog_access_pb.js";
import type { ProviderInstanceConfig } from "../access/provider/adapter.js";
import { type FhirSimulator, startFhirSimulator } from "../access/provider/adapters/fhir-r4/simulator/fhir-simulator.js";
import {
  type KlinikbokningSimulator,
  startKlinikbokningSimulator,
} from "../access/provider/adapters/klinikbokning/simulator/klinikbokning-simulator.js";
import { type SmartSimulator, startSmartSimulator } from "../access/provider/adapters/smart-scheduling-links/simulator/smart-simulator.js";
import { createTestTable } from "../utilities/dynamodb/testing.js";
import { scopes as allScopes, type Scope } from "../utilities/security/api-keys.js";
import { composeInMemorySystem, type InMemorySystemOptions } from "./in-memory-system.js";

const demoCatalog = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../config/demo-catalog.json");

export interface DemoInMemory {
  /** The typed client of client system "vaarden", whose key has every scope. */
  client: BookingClient;
  apiKey: string;
  baseUrl: string;
  /** The test's own table in the run's DynamoDB Local. */
  tableName: string;
  /** The table's clients, for tests that look at what is stored. */
  documents: Awaited<ReturnType<typeof createTestTable>>["documents"];
  /** The temporary key file booking access encrypts patient data with. */
  patientDataKeyFile: string;
  /** Another client system, with a key of the given scopes (default: all). */
  clientFor(clientId: string, scopes?: Scope[]): Promise<{ apiKey: string; client: BookingClient }>;
  system: Awaited<ReturnType<typeof composeInMemorySystem>>;
  catalog: ReturnType<typeof createClient<typeof CatalogAccessService>>;
  klinikbokning: KlinikbokningSimulator;
  fhir: FhirSimulator;
  smart: SmartSimulator;
  close(): Promise<void>;
}

/**
 * The demo catalog and the three demo providers (Klinikbokning over REST, a
 * FHIR R4 server, a SMART Scheduling Links feed), every service composed in
 * this process over in-memory gRPC, on a fresh table of the DynamoDB at
 * `dynamodbEndpoint`; the API listens on a free port. Used by the integration
 * tests and the benchmarks.
 */
export async function startDemoInMemory(
  dynamodbEndpoint: string,
  options: Partial<Omit<InMemorySystemOptions, "documents" | "tableName" | "providers" | "patientDataKeyFile">> & {
    moreProviders?: ProviderInstanceConfig[];
    moreSimulators?: Array<{ close(): Promise<void> }>;
  } = {},
): Promise<DemoInMemory> {
  const table = await createTestTable(dynamodbEndpoint);
  const keyDir = mkdtempSync(path.join(tmpdir(), "bp-patient-data-key-"));
  const patientDataKeyFile = path.join(keyDir, "patient-data.key");
  ensurePatientDataKeyFile(patientDataKeyFile);
  const [klinikbokning, fhir, smart] = await Promise.all([
    startKlinikbokningSimulator({ apiKey: "it-key" }),
    startFhirSimulator({ token: "it-token" }),
    startSmartSimulator({ maxAgeSeconds: 60 }),
  ]);
  const catalogImpl = createCatalogAccess({ documents: table.documents, tableName: table.tableName });
  const catalog = createClient(
    CatalogAccessService,
    createRouterTransport(({ service }) => service(CatalogAccessService, catalogImpl)),
  );
  await seedCatalogIfEmpty(catalog, demoCatalog);
  const system = await composeInMemorySystem({
    slotTokenSecret: "in-memory-demo-slot-secret",
    patientIdSecret: "in-memory-demo-patient-secret",
    ...options,
    documents: table.documents,
    tableName: table.tableName,
    patientDataKeyFile,
    providers: [
      { id: "klinikbokning-demo", adapter: "klinikbokning", baseUrl: klinikbokning.url, apiKey: "it-key", timeZone: "Europe/Stockholm" },
      { id: "fhir-uppsala", adapter: "fhir-r4", baseUrl: fhir.url, apiKey: "it-token", timeZone: "Europe/Stockholm" },
      {
        id: "smart-vaccination",
        adapter: "smart-scheduling-links",
        baseUrl: smart.url,
        timeZone: "Europe/Stockholm",
        options: { states: ["AB"] },
      },
      ...(options.moreProviders ?? []),
    ],
  });
  await system.api.listen({ port: 0, host: "127.0.0.1" });
  const address = system.api.server.address();
  const baseUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  /** A client system of its own, with a key of these scopes, talking to this system through the typed client. */
  const clientFor = async (clientId: string, scopes: Scope[] = [...allScopes]) => {
    const { value } = await system.apiKeys.create({ clientId, name: `${clientId} (test)`, scopes, environment: "test" });
    return { apiKey: value, client: createBookingClient({ baseUrl, headers: { authorization: `Bearer ${value}` } }) };
  };
  const { client, apiKey } = await clientFor("vaarden");
  return {
    client,
    apiKey,
    baseUrl,
    tableName: table.tableName,
    documents: table.documents,
    patientDataKeyFile,
    clientFor,
    system,
    catalog,
    klinikbokning,
    fhir,
    smart,
    async close() {
      await system.api.close();
      await Promise.all([klinikbokning.close(), fhir.close(), smart.close(), ...(options.moreSimulators ?? []).map((s) => s.close())]);
      await table.drop();
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
}
