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
});
