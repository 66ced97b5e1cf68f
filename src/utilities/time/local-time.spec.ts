import fc from "fast-check";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { localDatesWindow, toLocalIso } from "./local-time.js";

describe("clinic local time", () => {
  it("shows a summer slot in Stockholm two hours ahead of UTC", () => {
    expect(toLocalIso(new Date("2026-06-15T07:00:00Z"), "Europe/Stockholm")).toBe("2026-06-15T09:00:00+02:00");
  });

  it("shows a winter slot in Stockholm one hour ahead of UTC", () => {
    expect(toLocalIso(new Date("2026-01-15T08:00:00Z"), "Europe/Stockholm")).toBe("2026-01-15T09:00:00+01:00");
  });

  it("makes the spring-forward Sunday in Stockholm a 23-hour day", () => {
    const { start, end } = localDatesWindow("2026-03-29", "2026-03-29", "Europe/Stockholm");
    expect(start.toISOString()).toBe("2026-03-28T23:00:00.000Z");
    expect(end.toISOString()).toBe("2026-03-29T22:00:00.000Z");
    expect((end.getTime() - start.getTime()) / 3_600_000).toBe(23);
  });

  it("makes the fall-back Sunday in Stockholm a 25-hour day", () => {
    const { start, end } = localDatesWindow("2026-10-25", "2026-10-25", "Europe/Stockholm");
    expect((end.getTime() - start.getTime()) / 3_600_000).toBe(25);
  });

  it("rejects something that is not a calendar date", () => {
    expect(() => localDatesWindow("2026-02-30", "2026-03-01", "Europe/Stockholm")).toThrow(RangeError);
    expect(() => localDatesWindow("tomorrow", "2026-03-01", "Europe/Stockholm")).toThrow(RangeError);
  });

  it("refuses a zone that does not exist", () => {
    expect(() => toLocalIso(new Date("2026-01-15T08:00:00Z"), "Europe/Atlantis")).toThrow("unknown time zone Europe/Atlantis");
  });

  it("changes offset at the instant of a half-hour transition, not at the hour around it", () => {
    // St. John's springs forward at 02:00 NST (-03:30), 05:30 UTC; Lord Howe moves by half an hour.
    expect(toLocalIso(new Date("2026-03-08T05:29:00Z"), "America/St_Johns")).toBe("2026-03-08T01:59:00-03:30");
    expect(toLocalIso(new Date("2026-03-08T05:30:00Z"), "America/St_Johns")).toBe("2026-03-08T03:00:00-02:30");
    expect(toLocalIso(new Date("2026-04-04T14:59:00Z"), "Australia/Lord_Howe")).toBe("2026-04-05T01:59:00+11:00");
    expect(toLocalIso(new Date("2026-04-04T15:00:00Z"), "Australia/Lord_Howe")).toBe("2026-04-05T01:30:00+10:30");
  });

  it("writes exactly what luxon writes, for any instant in any kind of zone", () => {
    const zones = [
      "Europe/Stockholm",
      "Europe/London",
      "America/St_Johns",
      "Australia/Lord_Howe",
      "Pacific/Chatham",
      "Asia/Kathmandu",
      "America/Sao_Paulo",
      "Etc/GMT+3",
      "Etc/UTC",
      "UTC",
    ];
    // Around the transitions too: every minute of 2026's first Stockholm and St. John's switches, and far years.
    const instant = fc.oneof(
      fc.integer({ min: Date.UTC(1850, 0, 1), max: Date.UTC(2200, 0, 1) }),
      fc.integer({ min: Date.UTC(2026, 2, 8, 4), max: Date.UTC(2026, 2, 8, 7) }),
      fc.integer({ min: Date.UTC(2026, 2, 29, 0), max: Date.UTC(2026, 2, 29, 2) }),
      fc.integer({ min: Date.UTC(2026, 9, 25, 0), max: Date.UTC(2026, 9, 25, 2) }),
    );
    fc.assert(
      fc.property(instant, fc.constantFrom(...zones), fc.boolean(), (ms, zone, wholeSecond) => {
        const date = new Date(wholeSecond ? ms - (ms % 1000) : ms);
        expect(toLocalIso(date, zone)).toBe(DateTime.fromJSDate(date, { zone }).toISO({ suppressMilliseconds: true }));
      }),
      { numRuns: 20_000 },
    );
  });
});
