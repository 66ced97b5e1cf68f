/**
 * Swedish personal identity numbers (personnummer) and coordination numbers
 * (samordningsnummer), as Skatteverket writes them: read in any of their
 * written forms, checked, and written one way.
 *
 * A number is a date of birth, three serial digits and a check digit (Luhn,
 * over the ten digits YYMMDDNNNN). The ten-digit form leaves out the century:
 * `-` means the person is under 100, `+` that they are 100 or older, so the
 * century follows from the date the number was given. The twelve-digit form
 * says it outright. A coordination number adds 60 to the day of birth.
 *
 * The century is not covered by the check digit, which is why everything
 * derived from a number (a patient id above all) uses the twelve-digit form:
 * read as ten digits, someone born in 1912 and someone born in 2012 share one.
 */

/** A number that passed every check. */
export interface PersonalIdentityNumber {
  /** YYYYMMDDNNNN (the day + 60 for a coordination number): what ids are derived from. */
  digits: string;
  /** YYYYMMDD-NNNN: how it is stored and handed on. Unambiguous at any age, so never `+`. */
  formatted: string;
  /** YYYY-MM-DD, the real day of birth (a coordination number's day without its 60). */
  birthDate: string;
  coordinationNumber: boolean;
}

export type PersonalIdentityNumberReading =
  | { valid: true; number: PersonalIdentityNumber }
  /** `problem` says what is wrong in words fit for the caller; it never repeats the number. */
  | { valid: false; problem: string };

const written = /^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{3})(\d)$/;
const coordinationOffset = 60;

/**
 * Reads a number written as YYMMDD-NNNN, YYMMDD+NNNN, YYMMDDNNNN,
 * YYYYMMDD-NNNN, YYYYMMDD+NNNN or YYYYMMDDNNNN, as given `on` a date (the
 * ten-digit forms' century depends on it): with `-` or nothing, the most
 * recent century that puts the birth in the past; with `+`, the most recent
 * that makes the person at least 100 on that date. Dates are Sweden's.
 */
export function readPersonalIdentityNumber(text: string, on: Date): PersonalIdentityNumberReading {
  const match = written.exec(text.trim());
  if (!match) {
    return {
      valid: false,
      problem: "must be YYYYMMDD-NNNN or YYMMDD-NNNN (YYMMDD+NNNN for someone 100 or older), the last digit a check digit",
    };
  }
  const [, century, yy, mm, dd, separator, serial, check] = match as unknown as [string, string | undefined, ...string[]];
  const tenDigits = `${yy}${mm}${dd}${serial}`;
  if (luhnCheckDigit(tenDigits) !== Number(check)) return { valid: false, problem: "has a wrong check digit" };

  const month = Number(mm);
  const coordinationNumber = Number(dd) > coordinationOffset;
  const day = coordinationNumber ? Number(dd) - coordinationOffset : Number(dd);
  const today = swedishDate(on);
  let year: number;
  if (century !== undefined) {
    year = Number(`${century}${yy}`);
  } else {
    // The latest year ending in YY whose birthday is not after the reference day: today, or today a century ago for `+`.
    const reference = separator === "+" ? { ...today, year: today.year - 100 } : today;
    year = Math.floor(reference.year / 100) * 100 + Number(yy);
    if (compareDates({ year, month, day }, reference) > 0) year -= 100;
  }
  if (!isCalendarDate(year, month, day)) return { valid: false, problem: "has a date of birth that is not a calendar date" };
  if (compareDates({ year, month, day }, today) > 0) return { valid: false, problem: "has a date of birth in the future" };

  const yyyy = String(year).padStart(4, "0");
  const digits = `${yyyy}${mm}${dd}${serial}${check}`;
  return {
    valid: true,
    number: {
      digits,
      formatted: `${digits.slice(0, 8)}-${digits.slice(8)}`,
      birthDate: `${yyyy}-${mm}-${String(day).padStart(2, "0")}`,
      coordinationNumber,
    },
  };
}

/** The Luhn check digit of the first nine of these digits (weights 2, 1, 2, 1 …). */
export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    const product = Number(digits[i]) * (i % 2 === 0 ? 2 : 1);
    sum += product > 9 ? product - 9 : product;
  }
  return (10 - (sum % 10)) % 10;
}

interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

const compareDates = (a: CalendarDate, b: CalendarDate) => a.year - b.year || a.month - b.month || a.day - b.day;

const daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth[month - 1]! + (month === 2 && isLeapYear(year) ? 1 : 0);
}

const stockholmDay = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Stockholm", year: "numeric", month: "2-digit", day: "2-digit" });

/** The calendar day in Sweden at this instant: a birth "today" is a Swedish today. */
function swedishDate(instant: Date): CalendarDate {
  const [year, month, day] = stockholmDay.format(instant).split("-").map(Number) as [number, number, number];
  return { year, month, day };
}
