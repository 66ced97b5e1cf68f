import { DateTime } from "luxon";

/** An instant shown in a clinic's zone as RFC 3339 with its offset, e.g. 2026-03-29T10:00:00+02:00. */
export function toLocalIso(instant: Date, timeZone: string): string {
  const local = DateTime.fromJSDate(instant, { zone: timeZone });
  if (!local.isValid) throw new Error(`unknown time zone ${timeZone}`);
  return local.toISO({ suppressMilliseconds: true })!;
}

/**
 * Calendar dates [fromDate, toDate] (inclusive, YYYY-MM-DD) read in a time zone,
 * as the half-open instant window [start of fromDate, start of the day after toDate).
 * Days are not 24 h long on DST switch days, so this is done in the zone, not by adding hours.
 */
export function localDatesWindow(fromDate: string, toDate: string, timeZone: string): { start: Date; end: Date } {
  const from = DateTime.fromISO(fromDate, { zone: timeZone });
  const to = DateTime.fromISO(toDate, { zone: timeZone });
  if (!from.isValid || !/^\d{4}-\d{2}-\d{2}$/.test(fromDate)) throw new RangeError(`not a date: ${fromDate}`);
  if (!to.isValid || !/^\d{4}-\d{2}-\d{2}$/.test(toDate)) throw new RangeError(`not a date: ${toDate}`);
  return { start: from.startOf("day").toJSDate(), end: to.plus({ days: 1 }).startOf("day").toJSDate() };
}
