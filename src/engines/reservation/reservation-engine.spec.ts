import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { TreatmentSchema } from "../../contracts/v1/booking_pb.js";
import { ErrorReason } from "../../contracts/v1/errors_pb.js";
import { createReservationEngine } from "./reservation-engine.js";
import { ReservationEngineService } from "./v1/reservation_engine_pb.js";

const engine = createClient(
  ReservationEngineService,
  createRouterTransport(({ service }) => service(ReservationEngineService, createReservationEngine())),
);
const checkup = create(TreatmentSchema, { id: "dental-checkup", name: "Dental check-up", minLeadMinutes: 60 });
const now = new Date("2026-03-02T08:00:00Z");
const evaluate = (slotStart: Date) =>
  engine.evaluateReservation({ treatment: checkup, slotStart: timestampFromDate(slotStart), now: timestampFromDate(now) });

describe("reservation rules", () => {
  it("let a patient reserve a slot comfortably ahead", async () => {
    const verdict = await evaluate(new Date("2026-03-03T08:00:00Z"));
    expect(verdict.allowed).toBe(true);
    expect(verdict.violations).toEqual([]);
  });

  it("refuse a slot that has already begun", async () => {
    const verdict = await evaluate(new Date("2026-03-02T07:59:00Z"));
    expect(verdict.allowed).toBe(false);
    expect(verdict.violations.map((v) => v.reason)).toEqual([ErrorReason.SLOT_IN_PAST]);
  });

  it("refuse a slot closer than the treatment's minimum lead time, saying how far ahead", async () => {
    const verdict = await evaluate(new Date("2026-03-02T08:59:00Z"));
    expect(verdict.violations.map((v) => v.reason)).toEqual([ErrorReason.LEAD_TIME]);
    expect(verdict.violations[0]?.message).toContain("60 minutes");
  });

  it("accept a slot exactly at the minimum lead time", async () => {
    expect((await evaluate(new Date("2026-03-02T09:00:00Z"))).allowed).toBe(true);
  });
});

describe("cancellation rules", () => {
  const hygiene = create(TreatmentSchema, { id: "dental-hygiene", name: "Dental hygienist", cancellationWindowHours: 24 });
  const cancel = (slotStart: Date) =>
    engine.evaluateCancellation({ treatment: hygiene, slotStart: timestampFromDate(slotStart), now: timestampFromDate(now) });

  it("let a patient cancel well before the cancellation window", async () => {
    expect((await cancel(new Date("2026-03-04T08:00:00Z"))).allowed).toBe(true);
  });

  it("refuse a cancellation inside the window, telling the patient to call the clinic", async () => {
    const verdict = await cancel(new Date("2026-03-03T07:59:00Z"));
    expect(verdict.allowed).toBe(false);
    expect(verdict.violations[0]).toMatchObject({ reason: ErrorReason.CANCELLATION_WINDOW, message: expect.stringContaining("24 hours") });
  });

  it("refuse cancelling an appointment that has begun", async () => {
    expect((await cancel(new Date("2026-03-02T07:00:00Z"))).violations.map((v) => v.reason)).toEqual([ErrorReason.SLOT_IN_PAST]);
  });
});

describe("holds", () => {
  it("last as long as configured", async () => {
    const configured = createClient(
      ReservationEngineService,
      createRouterTransport(({ service }) => service(ReservationEngineService, createReservationEngine({ holdSeconds: 90 }))),
    );
    const verdict = await configured.evaluateReservation({
      treatment: checkup,
      slotStart: timestampFromDate(new Date("2026-03-05T08:00:00Z")),
      now: timestampFromDate(now),
    });
    expect(verdict.holdSeconds).toBe(90);
  });
});
