import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { createBookingClient, type BookingClient } from "@booking-platform/client";
import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { seedCatalogIfEmpty } from "../../src/access/catalog/seed-catalog.js";
import { CatalogAccessService } from "../../src/access/catalog/v1/catalog_access_pb.js";
import { startKlinikbokningSimulator, type KlinikbokningSimulator } from "../../src/access/provider/adapters/klinikbokning/simulator/klinikbokning-simulator.js";
import { createCatalogAccess } from "../../src/access/catalog/catalog-access.js";
import { composeInMemorySystem } from "../../src/host/in-memory-system.js";
import { createTestTable } from "../../src/utilities/dynamodb/testing.js";

const demoCatalog = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../config/demo-catalog.json");

/**
 * Every service composed in this one process over in-memory gRPC transports,
 * with real DynamoDB Local and the Klinikbokning simulator over real HTTP.
 */
describe("the whole system in one process", () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let simulator: KlinikbokningSimulator;
  let api: FastifyInstance;
  let client: BookingClient;

  beforeAll(async () => {
    table = await createTestTable(inject("dynamodbEndpoint"));
    simulator = await startKlinikbokningSimulator({ apiKey: "it-key" });
    const catalog = createCatalogAccess({ documents: table.documents, tableName: table.tableName });
    await seedCatalogIfEmpty(
      createClient(CatalogAccessService, createRouterTransport(({ service }) => service(CatalogAccessService, catalog))),
      demoCatalog,
    );
    ({ api } = await composeInMemorySystem({
      documents: table.documents,
      tableName: table.tableName,
      providers: [{ id: "klinikbokning-demo", adapter: "klinikbokning", baseUrl: simulator.url, apiKey: "it-key", timeZone: "Europe/Stockholm" }],
      slotTokenSecret: "integration-test-slot-secret",
      patientIdSecret: "integration-test-patient-secret",
      providerTimeoutMs: 500,
    }));
    await api.listen({ port: 0, host: "127.0.0.1" });
    const address = api.server.address();
    client = createBookingClient({ baseUrl: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}` });
  });
  afterEach(() => {
    simulator.faults = {};
  });
  afterAll(async () => {
    await api.close();
    await simulator.close();
    await table.drop();
  });

  it("shows a patient the free check-up times in Stockholm on the spring-forward Sunday", async () => {
    const { data, error } = await client.GET("/v1/availability", {
      params: { query: { treatment: "dental-checkup", from: "2027-03-28", to: "2027-03-28", pageSize: 100 } },
    });
    expect(error).toBeUndefined();
    // Only Södermalm opens on Sundays, 10:00–14:00 local, which is summer time (UTC+2) from 03:00 that day.
    expect(data!.items.length).toBeGreaterThan(0);
    for (const slot of data!.items) {
      expect(slot.clinicId).toBe("sodermalm-clinic");
      expect(slot.localStart).toMatch(/^2027-03-28T1[0-3]:[0-5]\d:00\+02:00$/);
      expect(Date.parse(slot.start)).toBe(Date.parse(slot.localStart));
    }
  });

  it("shows the fall-back Sunday's times with the winter offset", async () => {
    const { data } = await client.GET("/v1/availability", {
      params: { query: { treatment: "flu-vaccination", clinic: ["sodermalm-clinic"], from: "2027-10-31", to: "2027-10-31", pageSize: 100 } },
    });
    expect(data!.items.length).toBeGreaterThan(0);
    expect(data!.items.every((s) => s.localStart.endsWith("+01:00"))).toBe(true);
  });

  it("says the treatment is unknown with a 404 problem", async () => {
    const { error, response } = await client.GET("/v1/availability", {
      params: { query: { treatment: "brain-surgery", from: "2027-03-01", to: "2027-03-01" } },
    });
    expect(response.status).toBe(404);
    expect(error?.detail).toContain("brain-surgery");
  });

  it("names the provider that sends garbage, with a 503 problem instead of a crash", async () => {
    simulator.faults = { malformed: "html" };
    const { error, response } = await client.GET("/v1/availability", {
      params: { query: { treatment: "dental-checkup", from: "2027-03-01", to: "2027-03-01" } },
    });
    expect(response.status).toBe(503);
    expect(error?.detail).toContain("klinikbokning-demo");
    expect(error?.detail).toContain("cannot read");
  });

  it("names the provider that is too slow", async () => {
    simulator.faults = { latencyMs: 2000 };
    const { error, response } = await client.GET("/v1/availability", {
      params: { query: { treatment: "dental-checkup", from: "2027-03-01", to: "2027-03-01" } },
    });
    expect(response.status).toBe(503);
    expect(error?.detail).toMatch(/klinikbokning-demo \(timeout/);
  });
});
