import { DateTime } from "luxon";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { BookingPatient, OpenSlot, ProviderAdapter } from "../adapter.js";
import { maxResponseBytes } from "../private/fetch-json.js";
import { ProviderError } from "../provider-error.js";
import type { SimulatorServer } from "../simulator-kit/serve-simulator.js";

/** What the kit needs of a simulator: where it is, and a way to make it misbehave. */
export type SimulatorHandle = Pick<SimulatorServer, "url" | "faults" | "close">;

export interface ConformanceSubject {
  /** The adapter's name in the registry. */
  adapter: string;
  startSimulator(): Promise<SimulatorHandle>;
  /** An adapter for a provider instance at `baseUrl`; `credentials: "wrong"` must make the provider refuse it. */
  createAdapter(baseUrl: string, credentials?: "right" | "wrong"): ProviderAdapter;
  /** Whether the provider checks credentials at all (a public feed does not). */
  checksCredentials: boolean;
  /** A clinic and treatment with regular opening hours on every day of the year, weekends included. */
  fixture: { clinicCode: string; treatmentCode: string; timeZone: string };
  /**
   * Books a slot at the simulator through another channel (the clinic's front desk, another
   * marketplace), speaking the protocol as that client would; `reference` is that client's own
   * reference for its booking, in its own namespace. Says whether the provider gave it the slot.
   * Required where the adapter books through the API: the provider is shared with the world.
   */
  bookElsewhere?(simulatorUrl: string, booking: { providerSlotId: string; reference: string }): Promise<"booked" | "refused">;
}

const patient: BookingPatient = {
  name: "Conformance Patient",
  personalIdentityNumber: "19900101-1239",
  dateOfBirth: "1990-01-01",
  phone: "0701234567",
  email: "conformance@example.se",
};

/**
 * The conformance kit: one suite every adapter runs against its simulator.
 * Passing it is what "this provider works" means: catalog shape, slot windows
 * and time zones across both DST switches, paging, booking round trips,
 * retries that never double-book, other bookers at the provider who win or
 * lose a slot against us, error mapping, and behaviour under latency, 5xx,
 * timeouts and garbage.
 */
export function describeProviderConformance(subject: ConformanceSubject): void {
  describe(`the ${subject.adapter} adapter conforms to the adapter contract`, () => {
    let simulator: SimulatorHandle;
    let adapter: ProviderAdapter;
    const { clinicCode, treatmentCode, timeZone } = subject.fixture;
    const signal = () => AbortSignal.timeout(10_000);
    const localDay = (date: string) => {
      const start = DateTime.fromISO(date, { zone: timeZone });
      return { start: start.toJSDate(), end: start.plus({ days: 1 }).toJSDate() };
    };
    const slotsOn = (date: string) => adapter.findOpenSlots({ clinicCode, treatmentCode, window: localDay(date) }, signal());
    const wallClock = (slots: OpenSlot[]) =>
      [...new Set(slots.map((s) => DateTime.fromJSDate(s.start, { zone: timeZone }).toFormat("HH:mm")))].sort();
    const failure = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, "expected a ProviderError").toBeInstanceOf(ProviderError);
      return error as ProviderError;
    };
    /** A date a few weeks ahead on the given ISO weekday (1 = Monday). */
    const ahead = (weeks: number, weekday: number) => {
      const day = DateTime.now().setZone(timeZone).plus({ weeks }).startOf("day");
      return day.plus({ days: (weekday - day.weekday + 7) % 7 }).toISODate()!;
    };

    beforeAll(async () => {
      simulator = await subject.startSimulator();
      adapter = subject.createAdapter(simulator.url);
      // As provider access does before it first uses an instance: capabilities may depend on the server.
      await adapter.discover?.(signal());
    });
    afterEach(() => {
      simulator.faults = {};
    });
    afterAll(() => simulator.close());

    describe("declares what it can do, and does it", () => {
      it("has a verb for every capability it declares", () => {
        const { capabilities } = adapter;
        expect(["api", "deep-link"]).toContain(capabilities.bookingMode);
        if (capabilities.supportsHold) {
          expect(adapter.holdSlot).toBeTypeOf("function");
          expect(adapter.confirmHold).toBeTypeOf("function");
        }
        if (capabilities.bookingMode === "api") {
          for (const verb of ["bookSlot", "cancelBooking", "findBooking"] as const) expect(adapter[verb], verb).toBeTypeOf("function");
        }
        if (capabilities.catalog) expect(adapter.listCatalog).toBeTypeOf("function");
      });

      it("lists a catalog of clinics in real time zones and treatments with durations", async () => {
        if (!adapter.capabilities.catalog) return;
        const catalog = await adapter.listCatalog!(signal());
        expect(catalog.clinics.map((c) => c.code)).toContain(clinicCode);
        expect(catalog.treatments.map((t) => t.code)).toContain(treatmentCode);
        for (const clinic of catalog.clinics) expect(DateTime.now().setZone(clinic.timeZone).isValid, clinic.timeZone).toBe(true);
        for (const treatment of catalog.treatments) expect(treatment.durationMinutes).toBeGreaterThan(0);
        expect(new Set(catalog.clinics.map((c) => c.code)).size).toBe(catalog.clinics.length);
      });
    });

    describe("finds free slots", () => {
      it("only inside the asked window, each with a unique id and a positive length", async () => {
        const date = ahead(3, 3);
        const window = {
          start: DateTime.fromISO(`${date}T10:00`, { zone: timeZone }).toJSDate(),
          end: DateTime.fromISO(`${date}T14:00`, { zone: timeZone }).toJSDate(),
        };
        const slots = await adapter.findOpenSlots({ clinicCode, treatmentCode, window }, signal());
        expect(slots.length).toBeGreaterThan(0);
        for (const slot of slots) {
          expect(slot.start >= window.start && slot.start < window.end).toBe(true);
          expect(slot.end.getTime()).toBeGreaterThan(slot.start.getTime());
        }
        expect(new Set(slots.map((s) => s.providerSlotId)).size).toBe(slots.length);
      });

      it.each([
        ["spring-forward", 3],
        ["fall-back", 10],
      ])("at the usual wall-clock times on the %s Sunday", async (_name, month) => {
        const year = DateTime.now().setZone(timeZone).year + 1;
        // The last Sunday of the month: where Europe switches, and a plain Sunday elsewhere.
        let sunday = DateTime.fromObject({ year, month, day: 1 }, { zone: timeZone }).endOf("month").startOf("day");
        while (sunday.weekday !== 7) sunday = sunday.minus({ days: 1 });
        const switchDay = await slotsOn(sunday.toISODate()!);
        // Some slots are taken on any one day: four Sundays before show the whole opening hours.
        const sundaysBefore = (await Promise.all([1, 2, 3, 4].map((weeks) => slotsOn(sunday.minus({ weeks }).toISODate()!)))).flat();
        expect(switchDay.length).toBeGreaterThan(0);
        // Opening hours are wall-clock hours: the switch day's local times lie within the
        // same opening hours as the Sundays before, whatever the UTC offset; an hour off shows.
        const usual = wallClock(sundaysBefore);
        for (const time of wallClock(switchDay))
          expect(time >= usual[0]! && time <= usual.at(-1)!, `${time} outside ${usual[0]}–${usual.at(-1)}`).toBe(true);
        for (const slot of switchDay) {
          expect(DateTime.fromJSDate(slot.start, { zone: timeZone }).toISODate()).toBe(sunday.toISODate());
        }
      });

      it("over a long window, every page: nothing lost, nothing twice", async () => {
        const first = ahead(4, 1);
        const days = Array.from({ length: 21 }, (_, i) => DateTime.fromISO(first).plus({ days: i }).toISODate()!);
        const whole = await adapter.findOpenSlots(
          { clinicCode, treatmentCode, window: { start: localDay(days[0]!).start, end: localDay(days.at(-1)!).end } },
          signal(),
        );
        const byDay = (await Promise.all(days.map(slotsOn))).flat();
        expect(whole.map((s) => s.providerSlotId).sort()).toEqual(byDay.map((s) => s.providerSlotId).sort());
        expect(new Set(whole.map((s) => s.providerSlotId)).size).toBe(whole.length);
      });

      it("gives the same answer to a repeated question", async () => {
        const date = ahead(5, 2);
        expect((await slotsOn(date)).map((s) => s.providerSlotId)).toEqual((await slotsOn(date)).map((s) => s.providerSlotId));
      });
    });

    describe("books", () => {
      const bookable = () => adapter.capabilities.bookingMode === "api";
      const take = async (date: string) => {
        const [slot] = await slotsOn(date);
        expect(slot, `a free slot on ${date}`).toBeDefined();
        return slot!;
      };

      it("and cancels: the slot leaves the free list, is found by our reference, and comes back", async () => {
        if (!bookable()) return;
        const date = ahead(6, 3);
        const slot = await take(date);
        const reference = `conformance-${Date.now()}`;
        const booking = adapter.capabilities.supportsHold
          ? await adapter.confirmHold!(
              {
                providerBookingRef: (await adapter.holdSlot!({ providerSlotId: slot.providerSlotId, reference, holdSeconds: 60 }, signal()))
                  .providerBookingRef,
                patient,
                note: "",
              },
              signal(),
            )
          : await adapter.bookSlot!({ providerSlotId: slot.providerSlotId, reference, patient, note: "" }, signal());
        expect(booking.status).toBe("booked");
        expect((await slotsOn(date)).map((s) => s.providerSlotId)).not.toContain(slot.providerSlotId);
        expect(await adapter.findBooking!(reference, signal())).toMatchObject({
          providerBookingRef: booking.providerBookingRef,
          status: "booked",
        });
        expect((await adapter.cancelBooking!({ providerBookingRef: booking.providerBookingRef }, signal())).status).toBe("cancelled");
        expect(await adapter.findBooking!(reference, signal())).toBeUndefined();
        expect((await slotsOn(date)).map((s) => s.providerSlotId)).toContain(slot.providerSlotId);
      });

      it("never twice: a retried booking of the same slot is refused as slot-unavailable", async () => {
        if (!bookable()) return;
        const slot = await take(ahead(6, 4));
        const reference = `conformance-retry-${Date.now()}`;
        await adapter.bookSlot!({ providerSlotId: slot.providerSlotId, reference, patient, note: "" }, signal());
        const retry = await failure(adapter.bookSlot!({ providerSlotId: slot.providerSlotId, reference, patient, note: "" }, signal()));
        expect(retry.kind).toBe("slot-unavailable");
        expect(await adapter.findBooking!(reference, signal())).toBeDefined();
      });

      it("and reports a lapsed hold as slot-unavailable", async () => {
        if (!bookable() || !adapter.capabilities.supportsHold) return;
        const slot = await take(ahead(6, 5));
        const hold = await adapter.holdSlot!(
          { providerSlotId: slot.providerSlotId, reference: `lapse-${Date.now()}`, holdSeconds: 0 },
          signal(),
        );
        // A server may keep a hold for a length of its own choosing; the adapter says when it lapses.
        const lapsesIn = (hold.holdExpiresAt?.getTime() ?? Date.now()) - Date.now();
        expect(lapsesIn, "a hold asked for 0 seconds lapses within 5").toBeLessThan(5_000);
        if (lapsesIn > 0) await new Promise((resolve) => setTimeout(resolve, lapsesIn + 100));
        expect(
          (await failure(adapter.confirmHold!({ providerBookingRef: hold.providerBookingRef, patient, note: "" }, signal()))).kind,
        ).toBe("slot-unavailable");
      });
    });

    describe("shares the provider with other bookers (the front desk, other marketplaces)", () => {
      const bookable = () => adapter.capabilities.bookingMode === "api";
      const elsewhere = (providerSlotId: string, reference: string) => {
        expect(subject.bookElsewhere, "a bookable subject needs bookElsewhere").toBeTypeOf("function");
        return subject.bookElsewhere!(simulator.url, { providerSlotId, reference });
      };
      /** Our booking, as the platform makes it: held and confirmed where the provider holds, else booked at once. */
      const bookOurs = async (providerSlotId: string, reference: string) =>
        adapter.capabilities.supportsHold
          ? adapter.confirmHold!(
              {
                providerBookingRef: (await adapter.holdSlot!({ providerSlotId, reference, holdSeconds: 60 }, signal())).providerBookingRef,
                patient,
                note: "",
              },
              signal(),
            )
          : adapter.bookSlot!({ providerSlotId, reference, patient, note: "" }, signal());
      const freeOn = async (date: string) => {
        const [slot] = await slotsOn(date);
        expect(slot, `a free slot on ${date}`).toBeDefined();
        return slot!;
      };
      const offered = async (date: string, slot: OpenSlot) => (await slotsOn(date)).some((s) => s.providerSlotId === slot.providerSlotId);

      it("a second booker of a slot we booked loses it, and nobody is offered it", async () => {
        if (!bookable()) return;
        const date = ahead(7, 1);
        const slot = await freeOn(date);
        const reference = `ours-first-${Date.now()}`;
        const ours = await bookOurs(slot.providerSlotId, reference);
        expect(await offered(date, slot)).toBe(false);
        expect(await elsewhere(slot.providerSlotId, `front-desk-${Date.now()}`)).toBe("refused");
        expect(await adapter.findBooking!(reference, signal())).toMatchObject({
          providerBookingRef: ours.providerBookingRef,
          status: "booked",
        });
      });

      it("we lose a slot another booker took first, and find nothing under our reference", async () => {
        if (!bookable()) return;
        const date = ahead(7, 2);
        const slot = await freeOn(date);
        expect(await elsewhere(slot.providerSlotId, `front-desk-${Date.now()}`)).toBe("booked");
        expect(await offered(date, slot)).toBe(false);
        const reference = `ours-second-${Date.now()}`;
        expect((await failure(bookOurs(slot.providerSlotId, reference))).kind).toBe("slot-unavailable");
        expect(await adapter.findBooking!(reference, signal())).toBeUndefined();
      });

      it("of us and another booker at the same moment, exactly one gets the slot", async () => {
        if (!bookable()) return;
        const slot = await freeOn(ahead(7, 3));
        const reference = `race-${Date.now()}`;
        const [ours, theirs] = await Promise.allSettled([
          bookOurs(slot.providerSlotId, reference),
          elsewhere(slot.providerSlotId, reference),
        ]);
        const weWon = ours.status === "fulfilled";
        if (!weWon) expect((ours.reason as ProviderError).kind).toBe("slot-unavailable");
        expect(theirs).toEqual({ status: "fulfilled", value: weWon ? "refused" : "booked" });
        expect(await adapter.findBooking!(reference, signal())).toEqual(weWon ? expect.objectContaining({ status: "booked" }) : undefined);
      });

      it("a cancelled booking frees the slot for the next booker", async () => {
        if (!bookable()) return;
        const date = ahead(7, 4);
        const slot = await freeOn(date);
        const booking = await bookOurs(slot.providerSlotId, `ours-cancelled-${Date.now()}`);
        await adapter.cancelBooking!({ providerBookingRef: booking.providerBookingRef }, signal());
        expect(await offered(date, slot)).toBe(true);
        expect(await elsewhere(slot.providerSlotId, `front-desk-${Date.now()}`)).toBe("booked");
        expect(await offered(date, slot)).toBe(false);
      });

      it("a booking made elsewhere is never ours, even under the same reference in another namespace", async () => {
        if (!bookable()) return;
        const slot = await freeOn(ahead(7, 5));
        const reference = `shared-${Date.now()}`;
        expect(await elsewhere(slot.providerSlotId, reference)).toBe("booked");
        expect(await adapter.findBooking!(reference, signal())).toBeUndefined();
      });
    });

    describe("fails clearly, naming the provider, and never crashes", () => {
      const date = () => ahead(2, 2);

      it("on refused credentials: rejected", async () => {
        if (!subject.checksCredentials) return;
        const wrong = subject.createAdapter(simulator.url, "wrong");
        const error = await failure(wrong.findOpenSlots({ clinicCode, treatmentCode, window: localDay(date()) }, signal()));
        expect(error.kind).toBe("rejected");
        expect(error.providerInstanceId).toBe("conformance");
      });

      it("on a 503: unavailable", async () => {
        simulator.faults = { failWithStatus: 503 };
        expect((await failure(slotsOn(date()))).kind).toBe("unavailable");
      });

      it("on latency within the deadline: still answers", async () => {
        simulator.faults = { latencyMs: 200 };
        expect((await slotsOn(date())).length).toBeGreaterThan(0);
      });

      it("on a provider that hangs: timeout when the deadline passes", async () => {
        simulator.faults = { hang: true };
        const error = await failure(
          adapter.findOpenSlots({ clinicCode, treatmentCode, window: localDay(date()) }, AbortSignal.timeout(300)),
        );
        expect(error.kind).toBe("timeout");
      });

      it.each(["html", "truncated", "wrong-types", "huge"] as const)("on a %s answer: bad-response", async (malformed) => {
        simulator.faults = { malformed };
        const error = await failure(slotsOn(date()));
        expect(error.kind).toBe("bad-response");
        expect(error.message).toContain("conformance");
        if (malformed === "huge") expect(error.message).toContain(String(maxResponseBytes));
      });
    });
  });
}
