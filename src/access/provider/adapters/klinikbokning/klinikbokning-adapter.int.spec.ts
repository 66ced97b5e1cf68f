import { DateTime } from "luxon";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ProviderError } from "../../provider-error.js";
import { createKlinikbokningAdapter } from "./klinikbokning-adapter.js";
import { frontDeskApiKey, type KlinikbokningSimulator, startKlinikbokningSimulator } from "./simulator/klinikbokning-simulator.js";

let simulator: KlinikbokningSimulator;
beforeAll(async () => {
  simulator = await startKlinikbokningSimulator({ apiKey: "test-key" });
});
afterAll(() => simulator.close());
afterEach(() => {
  simulator.faults = {};
});

const adapter = (apiKey = "test-key") =>
  createKlinikbokningAdapter({ id: "kb-test", adapter: "klinikbokning", baseUrl: simulator.url, apiKey, timeZone: "Europe/Stockholm" });

const day = (date: string) => ({ start: new Date(`${date}T00:00:00+01:00`), end: new Date(`${date}T23:59:59+01:00`) });
// Next year's dates: the server offers no slot that has begun.
const year = DateTime.now().setZone("Europe/Stockholm").year + 1;
/** A Monday in January: winter time, every clinic open. */
const monday = DateTime.fromObject({ year, month: 1, day: 11 }, { zone: "Europe/Stockholm" }).startOf("week").toISODate()!;
const wednesday = DateTime.fromISO(monday).plus({ days: 2 }).toISODate()!;
/** The last Sunday of a month, where Europe switches to or from summer time. */
const switchSunday = (month: number) => {
  let sunday = DateTime.fromObject({ year, month, day: 1 }, { zone: "Europe/Stockholm" }).endOf("month").startOf("day");
  while (sunday.weekday !== 7) sunday = sunday.minus({ days: 1 });
  return sunday;
};
const signal = () => AbortSignal.timeout(5000);

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe("the Klinikbokning adapter, against its simulator over HTTP", () => {
  it("turns a winter-time 08:00 in Stockholm into 07:00 UTC", async () => {
    const slots = await adapter().findOpenSlots({ clinicCode: "KB-STH-ODEN", treatmentCode: "UND30", window: day(monday) }, signal());
    expect(slots.length).toBeGreaterThan(0);
    const times = slots.map((s) => s.start.toISOString());
    expect(times.every((t) => t.startsWith(`${monday}T`))).toBe(true);
    expect(times.some((t) => t === `${monday}T07:00:00.000Z` || t === `${monday}T07:30:00.000Z`)).toBe(true);
    expect(times.every((t) => t >= `${monday}T07:00:00.000Z`)).toBe(true);
    expect(slots[0]!.end.getTime() - slots[0]!.start.getTime()).toBe(30 * 60_000);
  });

  it("turns 10:00 on the spring-forward Sunday into 08:00 UTC, and on the fall-back Sunday into 09:00 UTC", async () => {
    const [springDay, autumnDay] = [switchSunday(3), switchSunday(10)];
    const wholeDay = (sunday: DateTime) => ({ start: sunday.toJSDate(), end: sunday.plus({ days: 1 }).toJSDate() });
    const spring = await adapter().findOpenSlots(
      { clinicCode: "KB-STH-SOD", treatmentCode: "UND30", window: wholeDay(springDay) },
      signal(),
    );
    const autumn = await adapter().findOpenSlots(
      { clinicCode: "KB-STH-SOD", treatmentCode: "UND30", window: wholeDay(autumnDay) },
      signal(),
    );
    const [springDate, autumnDate] = [springDay.toISODate()!, autumnDay.toISODate()!];
    // Opening hours are 10:00–14:00 local on Sundays.
    expect(spring.length).toBeGreaterThan(0);
    expect(autumn.length).toBeGreaterThan(0);
    expect(spring.every((s) => s.start >= new Date(`${springDate}T08:00:00Z`) && s.end <= new Date(`${springDate}T12:00:00Z`))).toBe(true);
    expect(autumn.every((s) => s.start >= new Date(`${autumnDate}T09:00:00Z`) && s.end <= new Date(`${autumnDate}T13:00:00Z`))).toBe(true);
  });

  it("follows every page of a long answer", async () => {
    // Two clinics' worth of weeks: far more than one page of 200.
    const slots = await adapter().findOpenSlots(
      {
        clinicCode: "KB-STH-SOD",
        treatmentCode: "VAC15",
        window: { start: new Date(`${year}-02-01T00:00:00Z`), end: new Date(`${year}-03-01T00:00:00Z`) },
      },
      signal(),
    );
    expect(slots.length).toBeGreaterThan(400);
    expect(new Set(slots.map((s) => s.providerSlotId)).size).toBe(slots.length);
  });

  it("keeps only slots starting inside the asked window", async () => {
    const window = { start: new Date(`${monday}T09:00:00Z`), end: new Date(`${monday}T10:00:00Z`) };
    const slots = await adapter().findOpenSlots({ clinicCode: "KB-STH-ODEN", treatmentCode: "UND30", window }, signal());
    expect(slots.length).toBeGreaterThan(0);
    expect(slots.every((s) => s.start >= window.start && s.start < window.end)).toBe(true);
  });

  it("reports a wrong API key as rejected", async () => {
    const error = await failure(
      adapter("wrong").findOpenSlots({ clinicCode: "KB-STH-ODEN", treatmentCode: "UND30", window: day(monday) }, signal()),
    );
    expect(error.kind).toBe("rejected");
    expect(error.message).toContain("kb-test");
  });

  it("reports a 503 as unavailable", async () => {
    simulator.faults = { failWithStatus: 503 };
    const error = await failure(
      adapter().findOpenSlots({ clinicCode: "KB-STH-ODEN", treatmentCode: "UND30", window: day(monday) }, signal()),
    );
    expect(error.kind).toBe("unavailable");
  });

  it("gives up on a provider that hangs when the deadline passes", async () => {
    simulator.faults = { hang: true };
    const error = await failure(
      adapter().findOpenSlots({ clinicCode: "KB-STH-ODEN", treatmentCode: "UND30", window: day(monday) }, AbortSignal.timeout(200)),
    );
    expect(error.kind).toBe("timeout");
  });

  it.each(["html", "wrong-types", "truncated"] as const)("reports a %s answer as a bad response, not a crash", async (malformed) => {
    simulator.faults = { malformed };
    const error = await failure(
      adapter().findOpenSlots({ clinicCode: "KB-STH-ODEN", treatmentCode: "UND30", window: day(monday) }, signal()),
    );
    expect(error.kind).toBe("bad-response");
    expect(error.message).toContain("kb-test");
  });

  it("reports an unknown clinic code as not found", async () => {
    const error = await failure(adapter().findOpenSlots({ clinicCode: "KB-NOPE", treatmentCode: "UND30", window: day(monday) }, signal()));
    expect(error.kind).toBe("not-found");
  });

  it("reports a provider nobody listens for as unavailable", async () => {
    const gone = createKlinikbokningAdapter({
      id: "kb-gone",
      adapter: "klinikbokning",
      baseUrl: "http://127.0.0.1:1",
      apiKey: "x",
      timeZone: "Europe/Stockholm",
    });
    const error = await failure(gone.findOpenSlots({ clinicCode: "KB-STH-ODEN", treatmentCode: "UND30", window: day(monday) }, signal()));
    expect(error.kind).toBe("unavailable");
  });
});

describe("booking at Klinikbokning", () => {
  const patient = {
    name: "Test Patient",
    personalIdentityNumber: "19900101-1234",
    dateOfBirth: "",
    phone: "0701234567",
    email: "t@example.se",
  };
  const firstFreeSlot = async () =>
    (await adapter().findOpenSlots({ clinicCode: "KB-STH-ODEN", treatmentCode: "HYG45", window: day(wednesday) }, signal()))[0]!;

  it("holds a slot, which then no longer shows as free, and confirms it", async () => {
    const slot = await firstFreeSlot();
    const hold = await adapter().holdSlot!({ providerSlotId: slot.providerSlotId, reference: "res-hold-1", holdSeconds: 60 }, signal());
    expect(hold.status).toBe("held");
    expect(hold.holdExpiresAt!.getTime()).toBeGreaterThan(Date.now());
    const free = await adapter().findOpenSlots({ clinicCode: "KB-STH-ODEN", treatmentCode: "HYG45", window: day(wednesday) }, signal());
    expect(free.map((s) => s.providerSlotId)).not.toContain(slot.providerSlotId);
    const booked = await adapter().confirmHold!({ providerBookingRef: hold.providerBookingRef, patient, note: "" }, signal());
    expect(booked).toMatchObject({ providerBookingRef: hold.providerBookingRef, status: "booked" });
  });

  it("reports a slot someone else took as slot-unavailable", async () => {
    const slot = await firstFreeSlot();
    await adapter().bookSlot!({ providerSlotId: slot.providerSlotId, reference: "res-a", patient, note: "" }, signal());
    const error = await failure(
      adapter().bookSlot!({ providerSlotId: slot.providerSlotId, reference: "res-b", patient, note: "" }, signal()),
    );
    expect(error.kind).toBe("slot-unavailable");
  });

  it("reports confirming a lapsed hold as slot-unavailable", async () => {
    const slot = await firstFreeSlot();
    const hold = await adapter().holdSlot!({ providerSlotId: slot.providerSlotId, reference: "res-lapse", holdSeconds: 0 }, signal());
    const error = await failure(adapter().confirmHold!({ providerBookingRef: hold.providerBookingRef, patient, note: "" }, signal()));
    expect(error.kind).toBe("slot-unavailable");
  });

  it("finds a booking again by our reference, and not after it is cancelled", async () => {
    const slot = await firstFreeSlot();
    const booked = await adapter().bookSlot!({ providerSlotId: slot.providerSlotId, reference: "res-find", patient, note: "" }, signal());
    expect(await adapter().findBooking!("res-find", signal())).toMatchObject({
      providerBookingRef: booked.providerBookingRef,
      status: "booked",
    });
    await adapter().cancelBooking!({ providerBookingRef: booked.providerBookingRef }, signal());
    expect(await adapter().findBooking!("res-find", signal())).toBeUndefined();
    expect(await adapter().findBooking!("never-made", signal())).toBeUndefined();
  });

  it("is refused a timeslot the clinic does not offer, or one that has begun, as slot-unavailable", async () => {
    const lastWeek = DateTime.now().setZone("Europe/Stockholm").minus({ weeks: 1 }).toISODate()!;
    for (const providerSlotId of [
      `KB-STH-ODEN.HYG45.${wednesday}.0300.P-102`, // the clinic is closed at 03:00
      `KB-STH-ODEN.HYG45.${wednesday}.0800.P-999`, // nobody of that name works there
      `KB-STH-ODEN.HYG45.${lastWeek}.0800.P-102`, // long begun, whether or not it was free
    ]) {
      const error = await failure(adapter().bookSlot!({ providerSlotId, reference: "res-nope", patient, note: "" }, signal()));
      expect(error.kind, providerSlotId).toBe("slot-unavailable");
    }
  });

  it("holds for at most fifteen minutes, whatever is asked", async () => {
    const slot = await firstFreeSlot();
    const hold = await adapter().holdSlot!({ providerSlotId: slot.providerSlotId, reference: "res-long", holdSeconds: 86_400 }, signal());
    expect(hold.holdExpiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 15 * 60_000);
  });

  it("sees none of another client's bookings, even under the same reference, and cannot cancel them", async () => {
    const slot = await firstFreeSlot();
    const theirs = await fetch(`${simulator.url}/api/v2/bookings`, {
      method: "POST",
      headers: { "x-api-key": frontDeskApiKey, "content-type": "application/json" },
      body: JSON.stringify({ timeslotId: slot.providerSlotId, externalReference: "res-shared", patient: { name: "Walk In", phone: "0" } }),
    });
    expect(theirs.status).toBe(201);
    const { bookingId } = (await theirs.json()) as { bookingId: string };
    expect(await adapter().findBooking!("res-shared", signal())).toBeUndefined();
    expect((await failure(adapter().cancelBooking!({ providerBookingRef: bookingId }, signal()))).kind).toBe("not-found");
  });
});
