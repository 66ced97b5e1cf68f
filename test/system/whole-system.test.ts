import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createBookingClient } from "@booking-platform/client";
import { afterEach, describe, expect, inject, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const system = inject("system");
const client = createBookingClient({ baseUrl: system.apiUrl, headers: { authorization: `Bearer ${system.apiKey}` } });
const simulator = system.urls["klinikbokning-simulator"]!;

/** The next Monday at least a week ahead, as a Stockholm calendar date. */
/**
 * A Monday at least a week ahead; `weeksLater` moves it further. A test that makes a provider fail searches a
 * week of its own: a week searched before is answered from provider access's cache, as it should be.
 */
function upcomingMonday(weeksLater = 0): string {
  const day = new Date();
  day.setUTCDate(day.getUTCDate() + 7 + 7 * weeksLater);
  while (day.getUTCDay() !== 1) day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}

async function injectFault(fault: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${simulator}/__admin/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(fault),
  });
  expect(response.ok).toBe(true);
}

describe("the whole system, every service its own process", () => {
  afterEach(async () => {
    await fetch(`${simulator}/__admin/faults`, { method: "DELETE" });
  });

  it("lists the demo catalog's treatments, seeded on first start", async () => {
    const { data, error } = await client.GET("/v1/treatments");
    expect(error).toBeUndefined();
    expect(data?.items.map((t) => t.id).sort()).toEqual(["covid-vaccination", "dental-checkup", "dental-hygiene", "flu-vaccination"]);
  });

  it("lists the clinics that offer a treatment, with their time zone", async () => {
    const { data } = await client.GET("/v1/clinics", { params: { query: { treatment: "flu-vaccination" } } });
    expect(data?.items.map((c) => c.id).sort()).toEqual(["goteborg-clinic", "sodermalm-clinic"]);
    expect(data?.items.every((c) => c.timeZone === "Europe/Stockholm")).toBe(true);
  });

  it("finds free times at the provider, through every layer, shown in Stockholm time", async () => {
    const monday = upcomingMonday();
    const { data, error } = await client.GET("/v1/availability", {
      params: { query: { treatment: "dental-checkup", from: monday, to: monday, pageSize: 50 } },
    });
    expect(error).toBeUndefined();
    // Two protocols behind one search: Klinikbokning's REST and a FHIR R4 server.
    expect(data!.providers.map((p) => [p.providerInstanceId, p.status]).sort()).toEqual([
      ["fhir-uppsala", "ok"],
      ["klinikbokning-demo", "ok"],
    ]);
    expect(new Set(data!.items.map((s) => s.providerInstanceId))).toEqual(new Set(["fhir-uppsala", "klinikbokning-demo"]));
    for (const slot of data!.items) {
      expect(["odenplan-clinic", "sodermalm-clinic", "uppsala-clinic"]).toContain(slot.clinicId);
      expect(slot.localStart.startsWith(monday)).toBe(true);
      expect(Date.parse(slot.localStart)).toBe(Date.parse(slot.start));
      expect(slot.slotId).toMatch(/^[\w-]+\.[\w-]+$/);
    }
    const starts = data!.items.map((s) => Date.parse(s.start));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  });

  it("pages through the free times of a week without repeating one", async () => {
    const monday = upcomingMonday();
    const friday = new Date(Date.parse(monday) + 4 * 86_400_000).toISOString().slice(0, 10);
    const seen = new Set<string>();
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const { data } = await client.GET("/v1/availability", {
        params: { query: { treatment: "dental-hygiene", clinic: ["odenplan-clinic"], from: monday, to: friday, pageSize: 25, pageToken } },
      });
      for (const slot of data!.items) seen.add(slot.slotId);
      pageToken = data!.nextPageToken;
      pages++;
    } while (pageToken && pages < 20);
    expect(pages).toBeGreaterThan(1);
    expect(pages).toBeLessThan(20);
    expect(seen.size).toBeGreaterThan(25);
  });

  it("sends the patient to a read-only provider's own booking page", async () => {
    const monday = upcomingMonday();
    const { data } = await client.GET("/v1/availability", {
      params: { query: { treatment: "covid-vaccination", from: monday, to: monday } },
    });
    expect(data!.providers).toEqual([expect.objectContaining({ providerInstanceId: "smart-vaccination", status: "ok" })]);
    const slot = data!.items[0]!;
    expect(new URL(slot.bookingLink!).searchParams.get("source")).toBe("varden");
    // A mass vaccination site: its phone beside the link, and the places left in each slot.
    expect(slot.bookingPhone).toBe("+46 8 555 000 00");
    expect(slot.remainingCapacity).toBeGreaterThanOrEqual(1);
    const attempt = await client.POST("/v1/reservations", {
      params: { header: { "idempotency-key": `deep-link-${Date.now()}` } },
      body: {
        slotId: slot.slotId,
        treatmentId: slot.treatmentId,
        patient: { name: "A B", dateOfBirth: "1990-01-01", phone: "0701234567", email: "a@example.se" },
      },
    });
    expect(attempt.response.status).toBe(422);
    expect(attempt.error?.detail).toContain("bookingLink");
  });

  it("answers bad input with problem+json naming the field", async () => {
    const { error, response } = await client.GET("/v1/availability", {
      params: { query: { treatment: "dental-checkup", from: "not-a-date", to: "2026-03-01" } },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(JSON.stringify(error)).toContain("from");
  });

  it("still shows the other provider's times when one is down, with its status", async () => {
    await injectFault({ failWithStatus: 503 });
    const monday = upcomingMonday(1);
    const { data, response } = await client.GET("/v1/availability", {
      params: { query: { treatment: "dental-checkup", from: monday, to: monday } },
    });
    expect(response.status).toBe(200);
    expect(Object.fromEntries(data!.providers.map((p) => [p.providerInstanceId, p.status]))).toEqual({
      "klinikbokning-demo": "error",
      "fhir-uppsala": "ok",
    });
    expect(data!.items.every((s) => s.providerInstanceId === "fhir-uppsala")).toBe(true);
  });

  it("says which provider failed when the only one offering a treatment is down, instead of a 500", async () => {
    await injectFault({ failWithStatus: 503 });
    const monday = upcomingMonday(2);
    const { error, response } = await client.GET("/v1/availability", {
      params: { query: { treatment: "flu-vaccination", from: monday, to: monday } },
    });
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(JSON.stringify(error)).toContain("klinikbokning-demo");
  });

  it("says which provider timed out when the provider hangs", async () => {
    await injectFault({ hang: true });
    const monday = upcomingMonday(3);
    const { error, response } = await client.GET("/v1/availability", {
      params: { query: { treatment: "flu-vaccination", from: monday, to: monday } },
    });
    expect(response.status).toBe(503);
    expect(JSON.stringify(error)).toMatch(/klinikbokning-demo \(timeout/);
  });

  it("serves the reference page and the OpenAPI document it is built from", async () => {
    const docs = await fetch(`${system.apiUrl}/docs`, { redirect: "follow" });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("<html");
    const openapi = (await (await fetch(`${system.apiUrl}/openapi.json`)).json()) as { openapi: string };
    expect(openapi.openapi).toBe("3.1.0");
  });

  it("reports ready once the services below the API answer", async () => {
    expect((await fetch(`${system.apiUrl}/ready`)).status).toBe(200);
    expect((await fetch(`${system.apiUrl}/health`)).status).toBe(200);
  });

  it("lets any gRPC client with the platform credential call a service directly (buf curl, gRPC over h2c)", () => {
    const out = execFileSync(
      path.join(root, "node_modules/.bin/buf"),
      [
        "curl",
        "--protocol",
        "grpc",
        "--http2-prior-knowledge",
        "--schema",
        "src",
        "--data",
        "{}",
        "--header",
        `x-platform-token: ${system.platformToken}`,
        `${system.urls["catalog-access"]}/access.catalog.v1.CatalogAccessService/ListTreatments`,
      ],
      { cwd: root, encoding: "utf8" },
    );
    expect(JSON.parse(out).treatments.map((t: { id: string }) => t.id)).toContain("dental-checkup");
  });
});
