import path from "node:path";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { createBookingClient, type BookingClient } from "@booking-platform/client";
import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { createCatalogAccess } from "../../src/access/catalog/catalog-access.js";
import { seedCatalogIfEmpty } from "../../src/access/catalog/seed-catalog.js";
import { CatalogAccessService } from "../../src/access/catalog/v1/catalog_access_pb.js";
import { startKlinikbokningSimulator, type KlinikbokningSimulator } from "../../src/access/provider/adapters/klinikbokning/simulator/klinikbokning-simulator.js";
import { ClinicSchema, OfferingSchema } from "../../src/contracts/v1/booking_pb.js";
import { composeInMemorySystem } from "../../src/host/in-memory-system.js";
import { createTestTable } from "../../src/utilities/dynamodb/testing.js";

const demoCatalog = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../config/demo-catalog.json");

/**
 * Two provider instances behind one search: a second clinic chain on its own
 * Klinikbokning server. Whatever happens to one, the other's times still come
 * back, with a status per provider, never a 500.
 */
describe("a search across several providers", () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let south: KlinikbokningSimulator;
  let north: KlinikbokningSimulator;
  let api: FastifyInstance;
  let client: BookingClient;

  beforeAll(async () => {
    table = await createTestTable(inject("dynamodbEndpoint"));
    [south, north] = await Promise.all([startKlinikbokningSimulator({ apiKey: "k" }), startKlinikbokningSimulator({ apiKey: "k" })]);
    const catalogImpl = createCatalogAccess({ documents: table.documents, tableName: table.tableName });
    const catalog = createClient(CatalogAccessService, createRouterTransport(({ service }) => service(CatalogAccessService, catalogImpl)));
    await seedCatalogIfEmpty(catalog, demoCatalog);
    // Onboarding the second chain is data: a clinic, and its codes for a treatment we already know.
    await catalog.recordCatalog({
      clinics: [create(ClinicSchema, { id: "lulea-clinic", name: "Klinik Luleå", city: "Luleå", timeZone: "Europe/Stockholm", providerInstanceId: "klinikbokning-north" })],
      offerings: [
        create(OfferingSchema, { clinicId: "lulea-clinic", treatmentId: "dental-checkup", providerInstanceId: "klinikbokning-north", providerClinicCode: "KB-STH-ODEN", providerTreatmentCode: "UND30" }),
      ],
    });
    ({ api } = await composeInMemorySystem({
      documents: table.documents,
      tableName: table.tableName,
      providers: [
        { id: "klinikbokning-demo", adapter: "klinikbokning", baseUrl: south.url, apiKey: "k", timeZone: "Europe/Stockholm" },
        {
          id: "klinikbokning-north",
          adapter: "klinikbokning",
          baseUrl: north.url,
          apiKey: "k",
          timeZone: "Europe/Stockholm",
          resilience: { deadlineMs: 300, breakerThreshold: 3, readRetries: 0, halfOpenAfterMs: 60_000 },
        },
      ],
      slotTokenSecret: "integration-test-slot-secret",
      patientIdSecret: "integration-test-patient-secret",
    }));
    await api.listen({ port: 0, host: "127.0.0.1" });
    const address = api.server.address();
    client = createBookingClient({ baseUrl: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}` });
  });
  afterEach(() => {
    south.faults = {};
    north.faults = {};
  });
  afterAll(async () => {
    await api.close();
    await Promise.all([south.close(), north.close()]);
    await table.drop();
  });

  const search = () =>
    client.GET("/v1/availability", { params: { query: { treatment: "dental-checkup", from: "2027-02-01", to: "2027-02-01", pageSize: 100 } } });
  const statusOf = (providers: Array<{ providerInstanceId: string; status: string }>) =>
    Object.fromEntries(providers.map((p) => [p.providerInstanceId, p.status]));

  it("merges both chains' free times", async () => {
    const { data } = await search();
    expect(statusOf(data!.providers)).toEqual({ "klinikbokning-demo": "ok", "klinikbokning-north": "ok" });
    expect(new Set(data!.items.map((s) => s.clinicId))).toEqual(new Set(["odenplan-clinic", "sodermalm-clinic", "lulea-clinic"]));
  });

  it("still answers with one chain's times when the other is down, naming it", async () => {
    north.faults = { failWithStatus: 503 };
    const { data, response } = await search();
    expect(response.status).toBe(200);
    expect(statusOf(data!.providers)).toEqual({ "klinikbokning-demo": "ok", "klinikbokning-north": "error" });
    expect(data!.items.length).toBeGreaterThan(0);
    expect(data!.items.every((s) => s.providerInstanceId === "klinikbokning-demo")).toBe(true);
  });

  it("does not wait past the slow chain's deadline", async () => {
    north.faults = { hang: true };
    const started = Date.now();
    const { data } = await search();
    expect(statusOf(data!.providers)["klinikbokning-north"]).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("stops calling a chain that keeps failing, and says its circuit is open", async () => {
    north.faults = { malformed: "html" };
    for (let i = 0; i < 3; i++) await search();
    const { data } = await search();
    const northOutcome = data!.providers.find((p) => p.providerInstanceId === "klinikbokning-north");
    expect(northOutcome).toMatchObject({ status: "circuit-open" });
    expect(northOutcome?.detail).toContain("circuit open");
    expect(statusOf(data!.providers)["klinikbokning-demo"]).toBe("ok");
  });
});
