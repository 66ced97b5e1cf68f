import { readFileSync } from "node:fs";
import { createBookingClient } from "@booking-platform/client";
import { describe, expect, inject, it } from "vitest";
import type { ReceivedSpan } from "../../src/host/otlp-receiver.js";

const client = createBookingClient({ baseUrl: inject("system").apiUrl, headers: { authorization: `Bearer ${inject("system").apiKey}` } });
const patient = {
  name: "Zlatan Loggsson",
  personalIdentityNumber: "19811003-5550",
  phone: "0709998877",
  email: "zlatan.loggsson@example.se",
};
const secrets = [patient.name, "Zlatan", patient.personalIdentityNumber, "198110035550", "8110035550", patient.phone, patient.email];

async function spansArrived(): Promise<ReceivedSpan[]> {
  return (await (await fetch(`${inject("otlpEndpoint")}/spans`)).json()) as ReceivedSpan[];
}

describe("telemetry across processes", () => {
  let traceId = "";

  it("sends every process's spans of one reservation to the OTLP receiver under one trace id", async () => {
    const date = new Date(Date.now() + 23 * 86_400_000).toISOString().slice(0, 10);
    const { data } = await client.GET("/v1/availability", {
      params: { query: { treatment: "dental-hygiene", from: date, to: date, pageSize: 1 } },
    });
    const slot = data!.items[0]!;
    const reserved = await client.POST("/v1/reservations", {
      params: { header: { "idempotency-key": `telemetry-system-${Date.now()}` } },
      body: { slotId: slot.slotId, treatmentId: slot.treatmentId, patient },
    });
    expect(reserved.response.status).toBe(201);

    const wanted = [
      "api",
      "booking-manager",
      "availability-engine",
      "reservation-engine",
      "catalog-access",
      "booking-access",
      "provider-access",
    ];
    let trace: ReceivedSpan[] = [];
    for (let attempt = 0; attempt < 40; attempt++) {
      const spans = await spansArrived();
      // This test's reservation is the latest POST the API served.
      const root = spans
        .filter(
          (s) => s.service === "api" && s.name.startsWith("POST") && !s.parentSpanId && s.attributes["url.path"] === "/v1/reservations",
        )
        .sort((a, b) => Number(BigInt(b.startNanos) - BigInt(a.startNanos)))[0];
      if (root) {
        trace = spans.filter((s) => s.traceId === root.traceId);
        // Each process exports in its own batches: wait for the provider's HTTP span too, not only a span of each process.
        const providerCallArrived = trace.some((s) => s.service === "provider-access" && s.attributes["url.template"] === "/api/v2/holds");
        if (providerCallArrived && wanted.every((service) => trace.some((s) => s.service === service))) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect([...new Set(trace.map((s) => s.service))].sort(), JSON.stringify(trace.map((s) => [s.service, s.name]))).toEqual(
      [...wanted].sort(),
    );
    traceId = trace[0]!.traceId;
    // DynamoDB calls and the provider's HTTP call are in the same trace, the latter named by its URL template.
    expect(trace.some((s) => s.service === "booking-access" && s.name === "DynamoDB.TransactWriteItems")).toBe(true);
    const providerCall = trace.find((s) => s.service === "provider-access" && s.attributes["url.template"] === "/api/v2/holds");
    expect(providerCall?.name).toBe("POST /api/v2/holds");
    expect(providerCall?.attributes).toMatchObject({ "provider.instance": "klinikbokning-demo", "provider.operation": "hold-slot" });
    expect(trace.filter((s) => s.service === "provider-access" && s.attributes["url.full"] !== undefined)).toEqual([]);
  });

  it("keeps patient data out of span attributes", async () => {
    const everything = JSON.stringify(await spansArrived());
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });

  it("keeps patient data out of every process's logs, which carry the trace id", async () => {
    const logs = readFileSync(inject("logFile"), "utf8");
    for (const secret of secrets) expect(logs).not.toContain(secret);
    expect(traceId).not.toBe("");
    expect(logs).toMatch(new RegExp(`"trace_id":"${traceId}"`));
  });
});
