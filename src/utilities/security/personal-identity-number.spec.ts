import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readPersonalIdentityNumber } from "./personal-identity-number.js";

/** Noon in Sweden on 20 March 2026: "today" in every example below. */
const on = new Date("2026-03-20T11:00:00Z");

/**
 * Luhn as it is usually stated, independently of the module's own: double
 * every second digit from the right, add the digits, and the total ends in 0.
 */
function luhnHolds(digits: string): boolean {
  let sum = 0;
  [...digits].reverse().forEach((digit, i) => {
    const n = Number(digit) * (i % 2 === 1 ? 2 : 1);
    sum += Math.floor(n / 10) + (n % 10);
  });
  return sum % 10 === 0;
}

/** The nine digits YYMMDDNNN with the check digit that makes Luhn hold. */
const withCheckDigit = (nine: string) => {
  for (let check = 0; check <= 9; check++) if (luhnHolds(`${nine}${check}`)) return `${nine}${check}`;
  throw new Error("unreachable: one digit always completes Luhn");
};

const read = (text: string, at = on) => readPersonalIdentityNumber(text, at);
const digitsOf = (text: string, at = on) => {
  const reading = read(text, at);
  return reading.valid ? reading.number.digits : reading.problem;
};

describe("personal identity numbers", () => {
  it("are read in every written form to one twelve-digit number", () => {
    for (const form of ["19811218-9876", "198112189876", "811218-9876", "8112189876", "19811218+9876"]) {
      expect(read(form)).toEqual({
        valid: true,
        number: { digits: "198112189876", formatted: "19811218-9876", birthDate: "1981-12-18", coordinationNumber: false },
      });
    }
  });

  it("keep the century: Tolvan born in 1912 and a child born in 2012 with the same ten digits are two people", () => {
    expect(digitsOf("19121212-1212")).toBe("191212121212");
    expect(digitsOf("20121212-1212")).toBe("201212121212");
    expect(digitsOf("121212-1212"), "under 100: the latest century with the birth in the past").toBe("201212121212");
    expect(digitsOf("121212+1212"), "`+`: 100 or older").toBe("191212121212");
  });

  it("read a ten-digit number without `+` in the most recent century that puts the birth in the past", () => {
    const lastDay = withCheckDigit("261231123");
    expect(digitsOf(`${lastDay.slice(0, 6)}-${lastDay.slice(6)}`), "31 Dec 2026 is still to come").toBe(`19${lastDay}`);
    const today = withCheckDigit("260320123");
    expect(digitsOf(`${today.slice(0, 6)}-${today.slice(6)}`), "born today").toBe(`20${today}`);
  });

  it("read `+` as 100 or older on the day: born on this day 100 years ago is 100 today", () => {
    const hundredToday = withCheckDigit("260320123");
    expect(digitsOf(`${hundredToday.slice(0, 6)}+${hundredToday.slice(6)}`)).toBe(`19${hundredToday}`);
    const hundredTomorrow = withCheckDigit("260321123");
    expect(digitsOf(`${hundredTomorrow.slice(0, 6)}+${hundredTomorrow.slice(6)}`), "99 until tomorrow: a century earlier").toBe(
      `18${hundredTomorrow}`,
    );
  });

  it("take today as Sweden's today", () => {
    const born = withCheckDigit("260321123");
    const lateEveningUtc = new Date("2026-03-20T23:30:00Z");
    expect(digitsOf(`${born.slice(0, 6)}-${born.slice(6)}`, lateEveningUtc), "already the 21st in Stockholm").toBe(`20${born}`);
  });

  it("accept coordination numbers (the day + 60), with the real date of birth", () => {
    const number = withCheckDigit("701063238"); // 1970-10-03, coordination day 63
    expect(read(`19${number.slice(0, 6)}-${number.slice(6)}`)).toEqual({
      valid: true,
      number: {
        digits: `19${number}`,
        formatted: `19${number.slice(0, 6)}-${number.slice(6)}`,
        birthDate: "1970-10-03",
        coordinationNumber: true,
      },
    });
  });

  it.each([
    ["99999999-9999", "the all-nines number"],
    ["19900101-1234", "a wrong check digit"],
    ["1990-01-01", "a date, not a number"],
    ["900101 1239", "a space for a separator"],
    ["19900101--1239", "two separators"],
    ["", "nothing"],
  ])("refuse %s (%s)", (text) => {
    expect(read(text).valid).toBe(false);
  });

  it("refuse dates that are not on the calendar, and births still to come", () => {
    const february30 = withCheckDigit("900230123");
    expect(read(`19${february30.slice(0, 6)}-${february30.slice(6)}`)).toEqual({
      valid: false,
      problem: "has a date of birth that is not a calendar date",
    });
    const leapDay2000 = withCheckDigit("000229123");
    expect(digitsOf(`${leapDay2000.slice(0, 6)}-${leapDay2000.slice(6)}`), "2000 was a leap year").toBe(`20${leapDay2000}`);
    expect(read(`${leapDay2000.slice(0, 6)}+${leapDay2000.slice(6)}`), "1900 was not").toEqual({
      valid: false,
      problem: "has a date of birth that is not a calendar date",
    });
    const day92 = withCheckDigit("900192123");
    expect(read(`19${day92.slice(0, 6)}-${day92.slice(6)}`).valid, "a coordination day past 91").toBe(false);
    const next = withCheckDigit("300101123");
    expect(read(`20${next.slice(0, 6)}-${next.slice(6)}`)).toEqual({ valid: false, problem: "has a date of birth in the future" });
  });

  it("never repeat the number in what they say is wrong", () => {
    const reading = read("19900101-1234");
    expect(reading.valid).toBe(false);
    if (!reading.valid) expect(reading.problem).not.toMatch(/\d{4}/);
  });

  describe("for every valid number", () => {
    const dayMs = 86_400_000;
    const earliest = Date.UTC(1880, 0, 1);
    const latest = Date.UTC(2026, 2, 20);
    /** A person born between 1880 and today, their serial, and whether theirs is a coordination number. */
    const people = fc.record({
      born: fc.integer({ min: 0, max: (latest - earliest) / dayMs }).map((days) => new Date(earliest + days * dayMs)),
      serial: fc.integer({ min: 0, max: 999 }),
      coordination: fc.boolean(),
    });
    const numberOf = ({ born, serial, coordination }: { born: Date; serial: number; coordination: boolean }) => {
      const yyyy = String(born.getUTCFullYear());
      const mm = String(born.getUTCMonth() + 1).padStart(2, "0");
      const dd = String(born.getUTCDate() + (coordination ? 60 : 0)).padStart(2, "0");
      const ten = withCheckDigit(`${yyyy.slice(2)}${mm}${dd}${String(serial).padStart(3, "0")}`);
      const hundredOrOlder = Date.UTC(born.getUTCFullYear() + 100, born.getUTCMonth(), born.getUTCDate()) <= latest;
      return { twelve: `${yyyy.slice(0, 2)}${ten}`, ten, hundredOrOlder };
    };
    const writtenForms = ({ twelve, ten, hundredOrOlder }: ReturnType<typeof numberOf>) => [
      twelve,
      `${twelve.slice(0, 8)}-${twelve.slice(8)}`,
      `${twelve.slice(0, 8)}+${twelve.slice(8)}`,
      ...(hundredOrOlder ? [`${ten.slice(0, 6)}+${ten.slice(6)}`] : [ten, `${ten.slice(0, 6)}-${ten.slice(6)}`]),
    ];

    it("every written form reads as the same twelve digits, and the stored form reads as itself", () => {
      fc.assert(
        fc.property(people, (person) => {
          const number = numberOf(person);
          for (const form of writtenForms(number)) {
            const reading = read(form);
            expect(reading, form).toMatchObject({ valid: true, number: { digits: number.twelve } });
            if (reading.valid) expect(read(reading.number.formatted)).toEqual(reading);
          }
        }),
        { numRuns: 500 },
      );
    });

    it("changing any one of the ten digits the check digit covers is refused by the check digit", () => {
      fc.assert(
        fc.property(people, fc.integer({ min: 2, max: 11 }), fc.integer({ min: 1, max: 9 }), (person, position, change) => {
          const { twelve } = numberOf(person);
          const digit = (Number(twelve[position]) + change) % 10;
          const altered = `${twelve.slice(0, position)}${digit}${twelve.slice(position + 1)}`;
          expect(read(`${altered.slice(0, 8)}-${altered.slice(8)}`)).toEqual({ valid: false, problem: "has a wrong check digit" });
        }),
        { numRuns: 500 },
      );
    });
  });
});
