import { describe, expect, inject, it } from "vitest";
import { createBookingClient, type Problem, type Slot } from "../src/index.js";

/** The client as Vården uses it, against the running system (the system test layer starts it). */
const client = createBookingClient({ baseUrl: inject("system").apiUrl, headers: { authorization: `Bearer ${inject("system").apiKey}` } });

describe("the typed client against the running system", () => {
  it("lists treatments and clinics with typed fields", async () => {
    const treatments = await client.GET("/v1/treatments");
    const clinics = await client.GET("/v1/clinics", { params: { query: { treatment: treatments.data!.items[0]!.id } } });
    expect(clinics.response.status).toBe(200);
    expect(clinics.data!.items.every((c) => c.treatmentIds.includes(treatments.data!.items[0]!.id))).toBe(true);
  });

  it("returns slots whose ids survive a round trip through JSON unchanged", async () => {
    const date = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
    const { data } = await client.GET("/v1/availability", {
      params: { query: { treatment: "dental-hygiene", from: date, to: date, pageSize: 3 } },
    });
    const slots: Slot[] = data!.items;
    for (const slot of JSON.parse(JSON.stringify(slots)) as Slot[]) expect(slots.map((s) => s.slotId)).toContain(slot.slotId);
  });

  it("hands back the problem document as a typed error", async () => {
    const { data, error, response } = await client.GET("/v1/clinics", { params: { query: { treatment: "" } } });
    expect(data).toBeUndefined();
    expect(response.status).toBe(400);
    const problem: Problem = error!;
    expect(problem.errors?.[0]?.name).toBe("treatment");
  });

  it("reserves and cancels a slot with typed bodies and problems", async () => {
    const date = new Date(Date.now() + 15 * 86_400_000).toISOString().slice(0, 10);
    const { data: found } = await client.GET("/v1/availability", {
      params: { query: { treatment: "dental-hygiene", from: date, to: date, pageSize: 1 } },
    });
    const slot = found!.items[0]!;
    const { data: reservation, response } = await client.POST("/v1/reservations", {
      params: { header: { "idempotency-key": `client-test-${Date.now()}` } },
      body: {
        slotId: slot.slotId,
        treatmentId: slot.treatmentId,
        patient: { name: "Test Patient", dateOfBirth: "1990-01-01", phone: "0701234567", email: "test@example.se" },
      },
    });
    expect(response.status).toBe(201);
    expect(reservation!.status).toBe("held");
    const { data: cancelled } = await client.POST("/v1/reservations/{reservationId}/cancel", {
      params: { path: { reservationId: reservation!.id }, header: { "idempotency-key": `client-cancel-${Date.now()}` } },
    });
    expect(cancelled!.status).toBe("cancelled");
    const { error } = await client.POST("/v1/reservations", {
      params: { header: { "idempotency-key": `client-test-bad-${Date.now()}` } },
      body: {
        slotId: "forged.slot",
        treatmentId: "dental-hygiene",
        patient: { name: "X", dateOfBirth: "1990-01-01", phone: "0701234567", email: "x@example.se" },
      },
    });
    expect(error?.status).toBe(400);
  });
});
