import type { BookingClient } from "@booking-platform/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FhirSimulator, startFhirSimulator } from "../../src/access/provider/adapters/fhir-r4/simulator/fhir-simulator.js";
import {
  type SmartSimulator,
  startSmartSimulator,
} from "../../src/access/provider/adapters/smart-scheduling-links/simulator/smart-simulator.js";
import { clientWithScopes, waitForSync, weekday } from "./support/onboarding.js";
import { onboardingFhirToken, onboardingFhirTokenVariable } from "./support/onboarding-token.js";

const patient = { name: "Nora Nyansluten", personalIdentityNumber: "19850505-1238", phone: "0705556677", email: "nora@example.se" };

/**
 * Onboarding a clinic chain on a protocol the platform already speaks, end to end, while the system
 * runs: every service its own process (real gRPC), the chains' servers new simulators on new ports,
 * only the typed client with an admin-only key for the onboarding and a client key for the booking. No
 * restart anywhere: the system was started before this file and knows nothing of these chains.
 */
describe("onboarding a clinic chain without a deploy", () => {
  let admin: BookingClient;
  let vaarden: BookingClient;
  let fhir: FhirSimulator;
  let smart: SmartSimulator;
  const timings: Record<string, number> = {};
  let reservationAtFhir = "";

  beforeAll(async () => {
    [fhir, smart] = await Promise.all([
      startFhirSimulator({ token: onboardingFhirToken, seed: "onboarding" }),
      startSmartSimulator({ maxAgeSeconds: 60 }),
    ]);
    admin = await clientWithScopes("onboarding-desk", ["admin"]);
    vaarden = await clientWithScopes("vaarden-web", ["availability:read", "reservations:read", "reservations:write"]);
  });
  afterAll(async () => {
    // The system is shared with the other files: these chains leave the catalog again (retired: nothing deleted).
    for (const instanceId of ["fhir-norrland", "smart-norrland"]) {
      await admin?.POST("/v1/admin/instances/{instanceId}/retire", { params: { path: { instanceId } }, body: { reason: "test over" } });
    }
    await Promise.all([fhir?.close(), smart?.close()]);
    console.log(`onboarding timings (ms): ${JSON.stringify(timings)}`);
  });

  it("keeps the admin API to admin keys", async () => {
    const { response } = await vaarden.GET("/v1/admin/instances");
    expect(response.status).toBe(403);
  });

  it("onboards a new FHIR R4 server: dry run, register, sync, map, then its slots are found and reserved", async () => {
    const started = performance.now();
    const settings = {
      id: "fhir-norrland",
      adapter: "fhir-r4",
      baseUrl: fhir.url,
      credentials: { env: onboardingFhirTokenVariable },
      timeZone: "Europe/Stockholm",
      displayName: "Vårdkedjan Norrland",
    };
    // 1. Dry run: what the adapter can do there, the provider's own catalog, a sample search. Nothing stored.
    const dry = await admin.POST("/v1/admin/instances/dry-run", { body: settings });
    expect(dry.error).toBeUndefined();
    expect(dry.data?.capabilities.bookingMode).toBe("api");
    expect(dry.data?.catalog.clinics.map((c) => c.code)).toEqual(["loc-sodermalm", "loc-uppsala"]);
    expect(dry.data?.sample?.slots.length).toBeGreaterThan(0);
    // 2. Register.
    const registered = await admin.POST("/v1/admin/instances", { body: settings });
    expect(registered.response.status).toBe(201);
    // 3. Sync its catalog, and follow the sync to its end.
    const sync = await admin.POST("/v1/admin/syncs", { body: { instanceId: "fhir-norrland" } });
    expect(sync.response.status).toBe(202);
    const synced = await waitForSync(admin, sync.data!.items[0]!.id);
    expect(synced).toMatchObject({ state: "succeeded", progress: { done: 6, total: 6 } });
    const { data: catalog } = await admin.GET("/v1/admin/instances/{instanceId}/catalog", {
      params: { path: { instanceId: "fhir-norrland" } },
    });
    expect(catalog?.unmapped).toEqual({ clinicCodes: ["loc-sodermalm", "loc-uppsala"], treatmentCodes: ["CHK", "HYG"] });
    // 4. Map: one clinic created from the provider's data, one treatment to Vården's; the rest stays listed as unmapped.
    const mapped = await admin.POST("/v1/admin/instances/{instanceId}/mappings", {
      params: { path: { instanceId: "fhir-norrland" } },
      body: {
        clinics: [{ providerClinicCode: "loc-uppsala", vaardenClinicId: "norrland-uppsala", createClinic: true }],
        treatments: [{ providerTreatmentCode: "CHK", vaardenTreatmentId: "dental-checkup" }],
      },
    });
    expect(mapped.data).toMatchObject({ activeOfferings: 1, unmapped: { clinicCodes: ["loc-sodermalm"], treatmentCodes: ["HYG"] } });
    timings.fhirOnboarded = Math.round(performance.now() - started);

    // Vården, with its own key: the new clinic is in the catalog, its slots are searched, and one is reserved.
    const day = weekday(10);
    const { data: clinics } = await vaarden.GET("/v1/clinics", { params: { query: { treatment: "dental-checkup" } } });
    expect(clinics?.items.find((c) => c.id === "norrland-uppsala")).toMatchObject({
      name: "Vårdcentral Uppsala",
      providerInstanceId: "fhir-norrland",
    });
    const { data: found } = await vaarden.GET("/v1/availability", {
      params: { query: { treatment: "dental-checkup", clinic: ["norrland-uppsala"], from: day, to: day, pageSize: 5 } },
    });
    expect(found?.providers).toEqual([
      { providerInstanceId: "fhir-norrland", status: "ok", slotCount: expect.any(Number), asOf: expect.any(String) },
    ]);
    expect(found!.items.length).toBeGreaterThan(0);
    let reserved: { id: string; status: string } | undefined;
    for (const slot of found!.items) {
      const attempt = await vaarden.POST("/v1/reservations", {
        params: { header: { "idempotency-key": `norrland-${slot.slotId.slice(-12)}` } },
        body: { slotId: slot.slotId, treatmentId: "dental-checkup", patient },
      });
      if (attempt.data) {
        reserved = attempt.data;
        break;
      }
    }
    expect(reserved?.status).toBe("confirmed");
    reservationAtFhir = reserved!.id;
    // The booking is at the new server: its Appointment carries our reservation id.
    expect(JSON.stringify(fhir.stored("Appointment"))).toContain(reserved!.id);
    timings.fhirOnboardedAndBooked = Math.round(performance.now() - started);
  });

  it("onboards a new SMART Scheduling Links publisher: its slots are found, each with its deep link", async () => {
    const started = performance.now();
    const settings = { id: "smart-norrland", adapter: "smart-scheduling-links", baseUrl: smart.url, timeZone: "Europe/Stockholm" };
    const dry = await admin.POST("/v1/admin/instances/dry-run", { body: settings });
    expect(dry.data?.capabilities).toEqual({ supportsHold: false, bookingMode: "deep-link", catalog: true });
    expect((await admin.POST("/v1/admin/instances", { body: settings })).response.status).toBe(201);
    const sync = await admin.POST("/v1/admin/syncs", { body: { instanceId: "smart-norrland" } });
    expect(await waitForSync(admin, sync.data!.items[0]!.id)).toMatchObject({ state: "succeeded" });
    const mapped = await admin.POST("/v1/admin/instances/{instanceId}/mappings", {
      params: { path: { instanceId: "smart-norrland" } },
      body: {
        clinics: [{ providerClinicCode: "smart-uppsala", createClinic: true }],
        treatments: [{ providerTreatmentCode: "57", vaardenTreatmentId: "covid-vaccination" }],
      },
    });
    expect(mapped.data?.clinics.find((c) => c.code === "smart-uppsala")?.vaardenClinicId).toBe("smart-norrland-smart-uppsala");
    timings.smartOnboarded = Math.round(performance.now() - started);

    const day = weekday(11);
    const { data: found } = await vaarden.GET("/v1/availability", {
      params: { query: { treatment: "covid-vaccination", clinic: ["smart-norrland-smart-uppsala"], from: day, to: day, pageSize: 5 } },
    });
    expect(found!.items.length).toBeGreaterThan(0);
    const slot = found!.items[0]!;
    expect(slot.bookingLink).toMatch(/^https?:\/\/.*[?&]booking-referral=/);
    // A deep-link provider takes no booking through us: the answer says to send the patient to the link.
    const refused = await vaarden.POST("/v1/reservations", {
      params: { header: { "idempotency-key": `smart-${Date.now()}` } },
      body: { slotId: slot.slotId, treatmentId: "covid-vaccination", patient },
    });
    expect([refused.response.status, refused.error?.code]).toEqual([422, "deep-link-only"]);
  });

  it("pauses the FHIR chain: at once its slots vanish from search and new reservations are refused; the one made before stays readable and cancellable", async () => {
    const day = weekday(12);
    const search = () =>
      vaarden.GET("/v1/availability", { params: { query: { treatment: "dental-checkup", from: day, to: day, pageSize: 100 } } });
    const before = await search();
    expect(before.data?.providers.map((p) => p.providerInstanceId)).toContain("fhir-norrland");
    const slot = before.data!.items.find((s) => s.providerInstanceId === "fhir-norrland")!;
    const paused = await admin.POST("/v1/admin/instances/{instanceId}/pause", {
      params: { path: { instanceId: "fhir-norrland" } },
      body: { reason: "EHR upgrade" },
    });
    expect(paused.data?.state).toBe("paused");
    const after = await search();
    expect(after.data?.providers.map((p) => p.providerInstanceId)).not.toContain("fhir-norrland");
    expect(after.data?.items.some((s) => s.providerInstanceId === "fhir-norrland")).toBe(false);
    // The demo chains are still there: only the paused one left.
    expect(after.data?.providers.map((p) => p.providerInstanceId).sort()).toEqual(["fhir-uppsala", "klinikbokning-demo"]);
    const refused = await vaarden.POST("/v1/reservations", {
      params: { header: { "idempotency-key": `paused-${Date.now()}` } },
      body: { slotId: slot.slotId, treatmentId: "dental-checkup", patient },
    });
    expect([refused.response.status, refused.error?.code]).toEqual([422, "provider-paused"]);
    // The reservation made before the pause is still readable, and cancellable at the paused chain.
    const path = { path: { reservationId: reservationAtFhir } };
    expect((await vaarden.GET("/v1/reservations/{reservationId}", { params: path })).data?.status).toBe("confirmed");
    const cancelled = await vaarden.POST("/v1/reservations/{reservationId}/cancel", {
      params: { ...path, header: { "idempotency-key": `cancel-paused-${Date.now()}` } },
    });
    expect(cancelled.data?.status).toBe("cancelled");
    const health = await admin.GET("/v1/admin/instances/{instanceId}/health", { params: { path: { instanceId: "fhir-norrland" } } });
    expect(health.data).toMatchObject({ state: "paused", circuitState: "closed", lastSuccessfulSync: { state: "succeeded" } });
    expect(health.data!.calls).toBeGreaterThan(0);
    expect(health.data!.latencyMs.p99).toBeGreaterThanOrEqual(health.data!.latencyMs.p50);
    await admin.POST("/v1/admin/instances/{instanceId}/resume", { params: { path: { instanceId: "fhir-norrland" } }, body: {} });
  });
});
