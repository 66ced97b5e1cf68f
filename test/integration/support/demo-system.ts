import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { createBookingClient, type BookingClient } from "@booking-platform/client";
import { inject } from "vitest";
import { createCatalogAccess } from "../../../src/access/catalog/catalog-access.js";
import { seedCatalogIfEmpty } from "../../../src/access/catalog/seed-catalog.js";
import { CatalogAccessService } from "../../../src/access/catalog/v1/catalog_access_pb.js";
import type { ProviderInstanceConfig } from "../../../src/access/provider/adapter.js";
import { startFhirSimulator, type FhirSimulator } from "../../../src/access/provider/adapters/fhir-r4/simulator/fhir-simulator.js";
import { startKlinikbokningSimulator, type KlinikbokningSimulator } from "../../../src/access/provider/adapters/klinikbokning/simulator/klinikbokning-simulator.js";
import { startSmartSimulator, type SmartSimulator } from "../../../src/access/provider/adapters/smart-scheduling-links/simulator/smart-simulator.js";
import { composeInMemorySystem, type InMemorySystemOptions } from "../../../src/host/in-memory-system.js";
import { createTestTable } from "../../../src/utilities/dynamodb/testing.js";

const demoCatalog = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../config/demo-catalog.json");

export interface DemoSystem {
  client: BookingClient;
  system: Awaited<ReturnType<typeof composeInMemorySystem>>;
  catalog: ReturnType<typeof createClient<typeof CatalogAccessService>>;
  klinikbokning: KlinikbokningSimulator;
  fhir: FhirSimulator;
  smart: SmartSimulator;
  close(): Promise<void>;
}

/**
 * The demo catalog and the three demo providers (Klinikbokning over REST, a
 * FHIR R4 server, a SMART Scheduling Links feed), every service composed in this process over in-memory gRPC, on a
 * fresh table in the run's DynamoDB Local; the API listens on a free port.
 */
export async function startDemoSystem(
  options: Partial<Omit<InMemorySystemOptions, "documents" | "tableName" | "providers">> & {
    moreProviders?: ProviderInstanceConfig[];
    moreSimulators?: Array<{ close(): Promise<void> }>;
  } = {},
): Promise<DemoSystem> {
  const table = await createTestTable(inject("dynamodbEndpoint"));
  const [klinikbokning, fhir, smart] = await Promise.all([
    startKlinikbokningSimulator({ apiKey: "it-key" }),
    startFhirSimulator({ token: "it-token" }),
    startSmartSimulator({ maxAgeSeconds: 60 }),
  ]);
  const catalogImpl = createCatalogAccess({ documents: table.documents, tableName: table.tableName });
  const catalog = createClient(CatalogAccessService, createRouterTransport(({ service }) => service(CatalogAccessService, catalogImpl)));
  await seedCatalogIfEmpty(catalog, demoCatalog);
  const system = await composeInMemorySystem({
    slotTokenSecret: "integration-test-slot-secret",
    patientIdSecret: "integration-test-patient-secret",
    ...options,
    documents: table.documents,
    tableName: table.tableName,
    providers: [
      { id: "klinikbokning-demo", adapter: "klinikbokning", baseUrl: klinikbokning.url, apiKey: "it-key", timeZone: "Europe/Stockholm" },
      { id: "fhir-uppsala", adapter: "fhir-r4", baseUrl: fhir.url, apiKey: "it-token", timeZone: "Europe/Stockholm" },
      { id: "smart-vaccination", adapter: "smart-scheduling-links", baseUrl: smart.url, timeZone: "Europe/Stockholm", options: { states: ["AB"] } },
      ...(options.moreProviders ?? []),
    ],
  });
  await system.api.listen({ port: 0, host: "127.0.0.1" });
  const address = system.api.server.address();
  const client = createBookingClient({ baseUrl: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}` });
  return {
    client,
    system,
    catalog,
    klinikbokning,
    fhir,
    smart,
    async close() {
      await system.api.close();
      await Promise.all([klinikbokning.close(), fhir.close(), smart.close(), ...(options.moreSimulators ?? []).map((s) => s.close())]);
      await table.drop();
    },
  };
}
