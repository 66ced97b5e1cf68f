import type { components } from "@booking-platform/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FhirSimulator, startFhirSimulator } from "../../src/access/provider/adapters/fhir-r4/simulator/fhir-simulator.js";
import { type DemoSystem, startDemoSystem } from "./support/demo-system.js";

type Settings = components["schemas"]["InstanceSettings"];
type Problem = components["schemas"]["Problem"];

const patient = { name: "Olle Onboard", personalIdentityNumber: "19800101-1231", phone: "0701112233", email: "olle@example.se" };

/** A weekday a week or more ahead, as a calendar date. */
function weekday(daysAhead: number): string {
  const date = new Date(Date.now() + daysAhead * 86_400_000);
  while (date.getUTCDay() === 0 || date.getUTCDay() === 6) date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

/**
 * The admin API against the whole system in one process (real DynamoDB Local, a real FHIR server
 * simulator over HTTP): every kind of bad input gets a clear 4xx problem and leaves nothing behind, and
 * the way through (register, sync, map, search, pause) works without a restart.
 */
describe("onboarding through the admin API: bad input is refused whole", () => {
  let demo: DemoSystem;
  let fhir: FhirSimulator;
  const settings = (overrides: Partial<Settings> = {}): Settings => ({
    id: "fhir-north",
    adapter: "fhir-r4",
    baseUrl: fhir.url,
    credentials: { env: "FHIR_NORTH_TOKEN" },
    timeZone: "Europe/Stockholm",
    displayName: "Vårdkedjan Norr",
    ...overrides,
  });
  const register = (body: Settings) => demo.client.POST("/v1/admin/instances", { body });
  const nothingStored = async (id: string) => {
    const { response } = await demo.client.GET("/v1/admin/instances/{instanceId}", { params: { path: { instanceId: id } } });
    expect(response.status).toBe(404);
  };
  const problemOf = (error: unknown) => error as Problem;

  beforeAll(async () => {
    fhir = await startFhirSimulator({ token: "north-token" });
    demo = await startDemoSystem({
      providerEnv: { FHIR_NORTH_TOKEN: "north-token", SOMEONE_ELSES_TOKEN: "not-north-token" },
      moreSimulators: [fhir],
    });
  });
  afterAll(async () => {
    await demo?.close();
  });

  it("refuses an unknown adapter kind, listing the known ones", async () => {
    const { error, response } = await register(settings({ adapter: "hl7-v2" }));
    expect(response.status).toBe(422);
    expect(problemOf(error)).toMatchObject({ code: "adapter-unknown", type: "/problems/adapter-unknown" });
    expect(problemOf(error).detail).toContain("fhir-r4, klinikbokning, smart-scheduling-links");
    await nothingStored("fhir-north");
  });

  it("refuses a URL that is not http(s)", async () => {
    const { error, response } = await register(settings({ baseUrl: "ftp://fhir.example.se/r4" }));
    expect(response.status).toBe(400);
    expect(problemOf(error).errors?.[0]?.name).toBe("body.baseUrl");
    await nothingStored("fhir-north");
  });

  it("refuses a URL where nothing answers", async () => {
    const { error, response } = await register(settings({ baseUrl: "http://127.0.0.1:9/fhir" }));
    expect(response.status).toBe(422);
    expect(problemOf(error).code).toBe("provider-unreachable");
    await nothingStored("fhir-north");
  });

  it("refuses credentials the provider refuses", async () => {
    const { error, response } = await register(settings({ credentials: { env: "SOMEONE_ELSES_TOKEN" } }));
    expect(response.status).toBe(422);
    expect(problemOf(error).code).toBe("provider-credentials-refused");
    await nothingStored("fhir-north");
  });

  it("refuses credentials that name nothing provider access can read", async () => {
    const { error, response } = await register(settings({ credentials: { env: "NOBODY_SET_THIS" } }));
    expect(response.status).toBe(422);
    expect(problemOf(error).code).toBe("credentials-unresolved");
    await nothingStored("fhir-north");
  });

  it("refuses a server that does not speak the adapter's protocol", async () => {
    const { error, response } = await register(settings({ baseUrl: demo.smart.url }));
    expect(response.status).toBe(422);
    expect(problemOf(error).code).toBe("provider-protocol-mismatch");
    await nothingStored("fhir-north");
  });

  it("dry-runs without storing anything, then registers once, and refuses a second registration of the same id", async () => {
    const dry = await demo.client.POST("/v1/admin/instances/dry-run", { body: settings() });
    expect(dry.response.status).toBe(200);
    expect(dry.data?.capabilities).toEqual({ supportsHold: false, bookingMode: "api", catalog: true });
    expect(dry.data?.catalog.clinics.map((c) => c.code)).toEqual(["loc-sodermalm", "loc-uppsala"]);
    expect(dry.data?.sample?.slots.length).toBeGreaterThan(0);
    await nothingStored("fhir-north");

    const first = await register(settings());
    expect(first.response.status).toBe(201);
    expect(first.data).toMatchObject({ id: "fhir-north", state: "active", credentials: { env: "FHIR_NORTH_TOKEN" } });
    const second = await register(settings({ displayName: "again" }));
    expect(second.response.status).toBe(409);
    expect(problemOf(second.error).code).toBe("instance-exists");
    const { data } = await demo.client.GET("/v1/admin/instances/{instanceId}", { params: { path: { instanceId: "fhir-north" } } });
    expect(data?.displayName).toBe("Vårdkedjan Norr");
  });

  it("syncs the new instance's catalog and lists its codes, unmapped", async () => {
    const started = await demo.client.POST("/v1/admin/syncs", { body: { instanceId: "fhir-north" } });
    expect(started.response.status).toBe(202);
    const syncId = started.data!.items[0]!.id;
    await expect
      .poll(async () => (await demo.client.GET("/v1/admin/syncs/{syncId}", { params: { path: { syncId } } })).data?.state, {
        timeout: 15_000,
      })
      .toBe("succeeded");
    const { data: sync } = await demo.client.GET("/v1/admin/syncs/{syncId}", { params: { path: { syncId } } });
    expect(sync?.progress).toEqual({ done: 6, total: 6 });
    expect(sync?.counts.clinics).toEqual({ new: 2, changed: 0, gone: 0, unchanged: 0 });
    const { data: catalog } = await demo.client.GET("/v1/admin/instances/{instanceId}/catalog", {
      params: { path: { instanceId: "fhir-north" } },
    });
    expect(catalog?.unmapped).toEqual({ clinicCodes: ["loc-sodermalm", "loc-uppsala"], treatmentCodes: ["CHK", "HYG"] });
  });

  it("refuses a mapping to a Vården id that does not exist, and stores no part of it", async () => {
    const { error, response } = await demo.client.POST("/v1/admin/instances/{instanceId}/mappings", {
      params: { path: { instanceId: "fhir-north" } },
      body: {
        clinics: [{ providerClinicCode: "loc-uppsala", createClinic: true }],
        treatments: [{ providerTreatmentCode: "CHK", vaardenTreatmentId: "no-such-treatment" }],
      },
    });
    expect(response.status).toBe(422);
    expect(problemOf(error)).toMatchObject({ code: "mapping-target-unknown" });
    const { data: catalog } = await demo.client.GET("/v1/admin/instances/{instanceId}/catalog", {
      params: { path: { instanceId: "fhir-north" } },
    });
    expect(catalog?.unmapped.clinicCodes).toEqual(["loc-sodermalm", "loc-uppsala"]);
    const { data: clinics } = await demo.client.GET("/v1/clinics");
    expect(clinics?.items.map((c) => c.id)).not.toContain("fhir-north-loc-uppsala");
  });

  it("refuses a code the provider does not list, a clinic another provider serves, and an instance that does not exist", async () => {
    const unknownCode = await demo.client.POST("/v1/admin/instances/{instanceId}/mappings", {
      params: { path: { instanceId: "fhir-north" } },
      body: { treatments: [{ providerTreatmentCode: "XRAY", vaardenTreatmentId: "dental-checkup" }] },
    });
    expect([unknownCode.response.status, problemOf(unknownCode.error).code]).toEqual([422, "provider-code-unknown"]);
    const othersClinic = await demo.client.POST("/v1/admin/instances/{instanceId}/mappings", {
      params: { path: { instanceId: "fhir-north" } },
      body: { clinics: [{ providerClinicCode: "loc-uppsala", vaardenClinicId: "uppsala-clinic" }] },
    });
    expect([othersClinic.response.status, problemOf(othersClinic.error).code]).toEqual([409, "mapping-conflict"]);
    const noInstance = await demo.client.POST("/v1/admin/instances/{instanceId}/mappings", {
      params: { path: { instanceId: "nobody-here" } },
      body: { treatments: [{ providerTreatmentCode: "CHK", vaardenTreatmentId: "dental-checkup" }] },
    });
    expect([noInstance.response.status, problemOf(noInstance.error).code]).toEqual([404, "not-found"]);
  });

  it("maps, and the new clinic's slots are searched and reserved at once; paused, they vanish and reserving is refused", async () => {
    const mapped = await demo.client.POST("/v1/admin/instances/{instanceId}/mappings", {
      params: { path: { instanceId: "fhir-north" } },
      body: {
        clinics: [{ providerClinicCode: "loc-sodermalm", vaardenClinicId: "north-sodermalm", createClinic: true }],
        treatments: [{ providerTreatmentCode: "CHK", vaardenTreatmentId: "dental-checkup" }],
      },
    });
    expect(mapped.response.status).toBe(200);
    expect(mapped.data?.activeOfferings).toBe(1);
    expect(mapped.data?.unmapped).toEqual({ clinicCodes: ["loc-uppsala"], treatmentCodes: ["HYG"] });

    const day = weekday(9);
    const search = () =>
      demo.client.GET("/v1/availability", {
        params: { query: { treatment: "dental-checkup", clinic: ["north-sodermalm"], from: day, to: day, pageSize: 5 } },
      });
    const found = await search();
    expect(found.data?.items.length).toBeGreaterThan(0);
    expect(found.data?.items.every((s) => s.providerInstanceId === "fhir-north")).toBe(true);

    const paused = await demo.client.POST("/v1/admin/instances/{instanceId}/pause", {
      params: { path: { instanceId: "fhir-north" } },
      body: { reason: "the chain's EHR is being upgraded" },
    });
    expect(paused.data?.state).toBe("paused");
    const afterPause = await search();
    expect(afterPause.data?.items).toEqual([]);
    expect(afterPause.data?.providers).toEqual([]);
    const refused = await demo.client.POST("/v1/reservations", {
      params: { header: { "idempotency-key": `paused-${Date.now()}` } },
      body: { slotId: found.data!.items[0]!.slotId, treatmentId: "dental-checkup", patient },
    });
    expect(refused.response.status).toBe(422);
    expect(problemOf(refused.error).code).toBe("provider-paused");

    const resumed = await demo.client.POST("/v1/admin/instances/{instanceId}/resume", {
      params: { path: { instanceId: "fhir-north" } },
      body: {},
    });
    expect(resumed.data?.state).toBe("active");
    const health = await demo.client.GET("/v1/admin/instances/{instanceId}/health", { params: { path: { instanceId: "fhir-north" } } });
    expect(health.data).toMatchObject({ instanceId: "fhir-north", state: "active", circuitState: "closed" });
    expect(health.data?.calls).toBeGreaterThan(0);
    expect(health.data?.lastSuccessfulSync?.state).toBe("succeeded");
    // The last hour, minute by minute, for the console's chart: this minute's calls are there, p95 between p50 and the slowest.
    const minutes = health.data?.lastHour ?? [];
    expect(minutes.reduce((sum, m) => sum + m.calls, 0)).toBe(health.data?.calls);
    expect(minutes.at(-1)!.latencyMs.p95).toBeGreaterThanOrEqual(minutes.at(-1)!.latencyMs.p50);
    expect(Date.parse(health.data!.recordingSince!)).toBeLessThanOrEqual(Date.parse(minutes[0]!.start) + 60_000);
    // Every instance's health in one request: the same report for this one, retired instances only when asked.
    const all = await demo.client.GET("/v1/admin/health");
    expect(all.data?.items.find((h) => h.instanceId === "fhir-north")).toMatchObject({
      state: "active",
      circuitState: "closed",
      lastSuccessfulSync: { state: "succeeded" },
    });
    expect(all.data?.items.every((h) => h.state !== "retired")).toBe(true);
    expect((await demo.client.GET("/v1/admin/health", { params: { query: { includeRetired: true } } })).response.status).toBe(200);
  });

  it("lists adapters, instances and syncs; tests a connection; keeps the old settings when new ones fail their try", async () => {
    expect((await demo.client.GET("/v1/admin/adapters")).data?.items).toEqual(["fhir-r4", "klinikbokning", "smart-scheduling-links"]);
    const { data: instances } = await demo.client.GET("/v1/admin/instances");
    expect(instances?.items.map((i) => [i.id, i.state])).toContainEqual(["fhir-north", "active"]);
    const tested = await demo.client.POST("/v1/admin/instances/{instanceId}/connection-test", {
      params: { path: { instanceId: "fhir-north" } },
    });
    expect(tested.data?.catalog.treatments.map((t) => t.code)).toEqual(["CHK", "HYG"]);
    const path = { path: { instanceId: "fhir-north" } };
    const { id: _id, ...current } = settings();
    const broken = await demo.client.PUT("/v1/admin/instances/{instanceId}", {
      params: path,
      body: { ...current, baseUrl: "http://127.0.0.1:9/r4" },
    });
    expect([broken.response.status, problemOf(broken.error).code]).toEqual([422, "provider-unreachable"]);
    const renamed = await demo.client.PUT("/v1/admin/instances/{instanceId}", { params: path, body: { ...current, displayName: "Norr" } });
    expect(renamed.data).toMatchObject({ baseUrl: fhir.url, displayName: "Norr", revision: 4 });
    const { data: syncs } = await demo.client.GET("/v1/admin/instances/{instanceId}/syncs", { params: path });
    expect(syncs?.items.map((s) => s.state)).toEqual(["succeeded"]);
    const all = await demo.client.POST("/v1/admin/syncs", { body: { all: true } });
    expect(all.data?.items.map((s) => s.instanceId).sort()).toEqual([
      "fhir-north",
      "fhir-uppsala",
      "klinikbokning-demo",
      "smart-vaccination",
    ]);
    const both = await demo.client.POST("/v1/admin/syncs", { body: { all: true, instanceId: "fhir-north" } });
    expect(both.response.status).toBe(400);
  });

  it("retires for good: out of the catalog, never resumed, its id never registered again", async () => {
    const path = { path: { instanceId: "fhir-north" } };
    expect(
      (await demo.client.POST("/v1/admin/instances/{instanceId}/retire", { params: path, body: { reason: "left" } })).data?.state,
    ).toBe("retired");
    const { data: clinics } = await demo.client.GET("/v1/clinics");
    expect(clinics?.items.map((c) => c.id)).not.toContain("north-sodermalm");
    const resumed = await demo.client.POST("/v1/admin/instances/{instanceId}/resume", { params: path, body: {} });
    expect([resumed.response.status, problemOf(resumed.error).code]).toEqual([422, "instance-state"]);
    expect((await register(settings())).response.status).toBe(409);
  });

  it("answered no problem an operation does not declare", () => {
    expect(demo.system.undeclaredProblems).toEqual([]);
  });
});
