import type { BookingClient } from "@booking-platform/client";
import { create } from "@bufbuild/protobuf";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type KlinikbokningSimulator,
  startKlinikbokningSimulator,
} from "../../src/access/provider/adapters/klinikbokning/simulator/klinikbokning-simulator.js";
import { ClinicSchema, OfferingSchema } from "../../src/contracts/v1/booking_pb.js";
import { type DemoSystem, startDemoSystem } from "./support/demo-system.js";

/**
 * Three provider instances behind one search: the demo's Klinikbokning and
 * FHIR servers, and a second clinic chain on its own Klinikbokning server. Whatever happens to one, the other's times still come
 * back, with a status per provider, never a 500.
 */
describe("a search across several providers", () => {
  let demo: DemoSystem;
  let south: KlinikbokningSimulator;
  let north: KlinikbokningSimulator;
  let client: BookingClient;

  beforeAll(async () => {
    north = await startKlinikbokningSimulator({ apiKey: "k" });
    demo = await startDemoSystem({
      // Every search here must reach the providers: this file is about how their failures show, not the cache.
      availabilityCacheSeconds: 0,
      moreProviders: [
        {
          id: "klinikbokning-north",
          adapter: "klinikbokning",
          baseUrl: north.url,
          apiKey: "k",
          timeZone: "Europe/Stockholm",
          resilience: { deadlineMs: 300, breakerThreshold: 3, readRetries: 0, halfOpenAfterMs: 60_000 },
        },
      ],
      moreSimulators: [north],
    });
    ({ client, klinikbokning: south } = demo);
    // Onboarding the second chain is data: a clinic, and its codes for a treatment we already know.
    await demo.catalog.recordCatalog({
      clinics: [
        create(ClinicSchema, {
          id: "lulea-clinic",
          name: "Klinik Luleå",
          city: "Luleå",
          timeZone: "Europe/Stockholm",
          providerInstanceId: "klinikbokning-north",
        }),
      ],
      offerings: [
        create(OfferingSchema, {
          clinicId: "lulea-clinic",
          treatmentId: "dental-checkup",
          providerInstanceId: "klinikbokning-north",
          providerClinicCode: "KB-STH-ODEN",
          providerTreatmentCode: "UND30",
        }),
      ],
    });
  });
  afterEach(() => {
    south.faults = {};
    north.faults = {};
  });
  afterAll(() => demo.close());

  const search = () =>
    client.GET("/v1/availability", {
      params: { query: { treatment: "dental-checkup", from: "2027-02-01", to: "2027-02-01", pageSize: 100 } },
    });
  const statusOf = (providers: Array<{ providerInstanceId: string; status: string }>) =>
    Object.fromEntries(providers.map((p) => [p.providerInstanceId, p.status]));

  it("merges both chains' free times", async () => {
    const { data } = await search();
    expect(statusOf(data!.providers)).toEqual({ "klinikbokning-demo": "ok", "klinikbokning-north": "ok", "fhir-uppsala": "ok" });
    expect(new Set(data!.items.map((s) => s.clinicId))).toEqual(
      new Set(["odenplan-clinic", "sodermalm-clinic", "lulea-clinic", "uppsala-clinic"]),
    );
  });

  it("still answers with one chain's times when the other is down, naming it", async () => {
    north.faults = { failWithStatus: 503 };
    const { data, response } = await search();
    expect(response.status).toBe(200);
    expect(statusOf(data!.providers)).toEqual({ "klinikbokning-demo": "ok", "klinikbokning-north": "error", "fhir-uppsala": "ok" });
    expect(data!.items.length).toBeGreaterThan(0);
    expect(data!.items.some((s) => s.providerInstanceId === "klinikbokning-north")).toBe(false);
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

  it("answered only problems that the OpenAPI document declares for each operation", () => {
    expect(demo.system.undeclaredProblems).toEqual([]);
  });
});
