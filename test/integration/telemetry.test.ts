import type { Slot } from "@booking-platform/client";
import { SpanKind } from "@opentelemetry/api";
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTelemetry } from "../../src/utilities/telemetry/start-telemetry.js";
import { type DemoSystem, startDemoSystem } from "./support/demo-system.js";

// Started before the system is composed, as a service's --import would.
const spans = new InMemorySpanExporter();
const metricsExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const metricReader = new PeriodicExportingMetricReader({ exporter: metricsExporter, exportIntervalMillis: 3_600_000 });
const sdk = startTelemetry({
  serviceName: "in-memory-system",
  spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
  metricReaders: [metricReader],
  env: {},
});

const patient = {
  name: "Zlatan Spansson",
  personalIdentityNumber: "19811003-5550",
  phone: "0709998877",
  email: "zlatan.spansson@example.se",
};

describe("telemetry of a reservation, all services in one process", () => {
  let demo: DemoSystem;
  let reservationTrace: ReturnType<InMemorySpanExporter["getFinishedSpans"]>;
  let patientId = "";

  beforeAll(async () => {
    demo = await startDemoSystem();
    const date = new Date(Date.now() + 22 * 86_400_000).toISOString().slice(0, 10);
    const { data } = await demo.client.GET("/v1/availability", {
      params: { query: { treatment: "dental-hygiene", from: date, to: date, pageSize: 1 } },
    });
    const slot: Slot = data!.items[0]!;
    spans.reset();
    const reserved = await demo.client.POST("/v1/reservations", {
      params: { header: { "idempotency-key": `telemetry-${Date.now()}` } },
      body: { slotId: slot.slotId, treatmentId: slot.treatmentId, patient },
    });
    expect(reserved.response.status, JSON.stringify(reserved.error)).toBe(201);
    patientId = reserved.data!.patientId;
    const root = spans.getFinishedSpans().find((s) => !s.parentSpanContext && s.name.includes("POST"));
    expect(root, "a root span for POST /v1/reservations").toBeDefined();
    reservationTrace = spans.getFinishedSpans().filter((s) => s.spanContext().traceId === root!.spanContext().traceId);
  });
  afterAll(async () => {
    await demo.close();
    await sdk?.shutdown();
  });

  it("is one trace spanning the API, the manager, both engines and every resource access", () => {
    const services = new Set(reservationTrace.map((s) => s.attributes["rpc.service"]).filter(Boolean));
    expect([...services].sort()).toEqual([
      "access.booking.v1.BookingAccessService",
      "access.catalog.v1.CatalogAccessService",
      "access.provider.v1.ProviderAccessService",
      "engines.availability.v1.AvailabilityEngineService",
      "engines.reservation.v1.ReservationEngineService",
      "managers.booking.v1.BookingManagerService",
    ]);
    // Every gRPC hop is seen from both ends, the server span the child of the client span.
    const manager = reservationTrace.filter((s) => s.name === "managers.booking.v1.BookingManagerService/CreateReservation");
    const client = manager.find((s) => s.kind === SpanKind.CLIENT);
    const server = manager.find((s) => s.kind === SpanKind.SERVER);
    expect(server?.parentSpanContext?.spanId).toBe(client?.spanContext().spanId);
  });

  it("shows the provider's HTTP call by its URL template, under a span naming the provider and the operation", () => {
    const hold = reservationTrace.find((s) => s.attributes["url.template"] === "/api/v2/holds");
    expect(hold?.name).toBe("POST /api/v2/holds");
    expect(hold?.kind).toBe(SpanKind.CLIENT);
    expect(hold?.attributes).toMatchObject({
      "provider.instance": "klinikbokning-demo",
      "provider.operation": "hold-slot",
      "http.request.method": "POST",
      "http.response.status_code": 201,
    });
    const parent = reservationTrace.find((s) => s.spanContext().spanId === hold?.parentSpanContext?.spanId);
    expect(parent?.name).toBe("klinikbokning-demo hold-slot");
    // No second, generic span for the same request, with the provider's full URL.
    expect(reservationTrace.filter((s) => String(s.attributes["url.full"] ?? "").startsWith(demo.klinikbokning.url))).toEqual([]);
  });

  it("names a provider call with ids by its template, and puts the ids in no attribute", async () => {
    spans.reset();
    const reservation = (await demo.client.GET("/v1/patients/{patientId}/reservations", { params: { path: { patientId } } })).data!
      .items[0]!;
    const confirmed = await demo.client.POST("/v1/reservations/{reservationId}/confirm", {
      params: { path: { reservationId: reservation.id }, header: { "idempotency-key": `telemetry-confirm-${Date.now()}` } },
    });
    expect(confirmed.response.status).toBe(200);
    const providerSpans = spans.getFinishedSpans().filter((s) => s.attributes["provider.instance"] !== undefined);
    const confirm = providerSpans.find((s) => s.attributes["url.template"] === "/api/v2/bookings/{bookingId}/confirm");
    expect(confirm?.name).toBe("POST /api/v2/bookings/{bookingId}/confirm");
    const bookingId = [...demo.klinikbokning.bookings.values()].find((b) => b.externalReference === reservation.id)?.bookingId;
    expect(bookingId).toBeDefined();
    const attributes = JSON.stringify(providerSpans.map((s) => s.attributes));
    expect(attributes).not.toContain(bookingId);
    expect(attributes).not.toContain(reservation.id);
  });

  it("carries no patient data in any span", () => {
    const everything = JSON.stringify(reservationTrace.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })));
    for (const secret of [patient.name, "Zlatan", patient.personalIdentityNumber, "198110035550", patient.phone, patient.email]) {
      expect(everything).not.toContain(secret);
    }
  });

  it("counts the reservation, the provider calls and the route", async () => {
    await metricReader.forceFlush();
    const points = metricsExporter
      .getMetrics()
      .flatMap((r) => r.scopeMetrics)
      .flatMap((s) => s.metrics)
      .flatMap((m) => m.dataPoints.map((p) => ({ name: m.descriptor.name, attributes: p.attributes })));
    expect(points).toContainEqual({ name: "reservations", attributes: { outcome: "held" } });
    expect(
      points.some((p) => p.name === "provider.call.duration" && p.attributes.operation === "hold-slot" && p.attributes.outcome === "ok"),
    ).toBe(true);
    expect(points.some((p) => p.name === "http.server.request.duration" && p.attributes["http.route"] === "/v1/reservations")).toBe(true);
    expect(points.some((p) => p.name === "provider.circuit.open" && p.attributes["provider.instance"] === "klinikbokning-demo")).toBe(true);
  });
});
