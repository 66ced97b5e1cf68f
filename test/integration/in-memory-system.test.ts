import type { BookingClient } from "@booking-platform/client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { KlinikbokningSimulator } from "../../src/access/provider/adapters/klinikbokning/simulator/klinikbokning-simulator.js";
import { type DemoSystem, startDemoSystem } from "./support/demo-system.js";

/**
 * Every service composed in this one process over in-memory gRPC transports,
 * with real DynamoDB Local and the provider simulators over real HTTP.
 */
describe("the whole system in one process", () => {
  let demo: DemoSystem;
  let simulator: KlinikbokningSimulator;
  let client: BookingClient;

  beforeAll(async () => {
    demo = await startDemoSystem({ providerTimeoutMs: 500 });
    ({ client, klinikbokning: simulator } = demo);
  });
  afterEach(() => {
    simulator.faults = {};
  });
  afterAll(() => demo.close());

  it("shows a patient the free check-up times in Stockholm on the spring-forward Sunday", async () => {
    const { data, error } = await client.GET("/v1/availability", {
      params: { query: { treatment: "dental-checkup", from: "2027-03-28", to: "2027-03-28", pageSize: 100 } },
    });
    expect(error).toBeUndefined();
    expect(data!.providers.map((p) => p.status)).toEqual(["ok", "ok"]);
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
      params: {
        query: { treatment: "flu-vaccination", clinic: ["sodermalm-clinic"], from: "2027-10-31", to: "2027-10-31", pageSize: 100 },
      },
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
      params: { query: { treatment: "flu-vaccination", from: "2027-03-01", to: "2027-03-01" } },
    });
    expect(response.status).toBe(503);
    expect(error?.detail).toContain("klinikbokning-demo");
    expect(error?.detail).toContain("cannot read");
  });

  it("names the provider that is too slow", async () => {
    simulator.faults = { latencyMs: 2000 };
    const { error, response } = await client.GET("/v1/availability", {
      params: { query: { treatment: "flu-vaccination", from: "2027-03-01", to: "2027-03-01" } },
    });
    expect(response.status).toBe(503);
    expect(error?.detail).toMatch(/klinikbokning-demo \(timeout/);
  });

  it("answered only problems that the OpenAPI document declares for each operation", () => {
    expect(demo.system.undeclaredProblems).toEqual([]);
  });
});
