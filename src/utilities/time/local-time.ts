import { LRUCache } from "lru-cache";
import { DateTime, Info, type Zone } from "luxon";

/**
 * Six hours. Assumed: no zone changes its offset twice within six hours and back (daylight saving
 * switches are months apart); a span whose ends differ has one change in it and is not cached.
 */
const spanMs = 6 * 3_600_000;
const minuteMs = 60_000;
/** 1970-01-01 and 10000-01-01: between them an ISO year is four digits, as toISOString writes it. */
const fastRange = { from: 0, to: 253_402_300_800_000 };

/** Each zone's luxon instance, made once: normalising a zone name asks Intl whether it exists. */
const zones = new Map<string, Zone>();

/**
 * The offset (minutes) of a zone through a six-hour span of UTC, or NaN for a span with a
 * transition in it (then each instant is asked: St. John's and Lord Howe change on the half hour).
 * Luxon asks Intl for the offset of every instant it formats, which was a sixth of the availability
 * engine's CPU time on a search (a profile under cold searches, docs/performance.md); here a day of
 * slots costs eight such questions, however many slots it has.
 */
const spanOffsets = new LRUCache<string, number>({ max: 20_000 });

function zoneOf(timeZone: string): Zone {
  let zone = zones.get(timeZone);
  if (!zone) {
    zone = Info.normalizeZone(timeZone);
    if (!zone.isValid) throw new Error(`unknown time zone ${timeZone}`);
    if (zones.size < 1_000) zones.set(timeZone, zone);
  }
  return zone;
}

function offsetAt(zone: Zone, ms: number): number {
  const span = ms - (ms % spanMs);
  const key = `${zone.name}\u0000${span}`;
  let offset = spanOffsets.get(key);
  if (offset === undefined) {
    const first = zone.offset(span);
    offset = first === zone.offset(span + spanMs - 1) ? first : Number.NaN;
    spanOffsets.set(key, offset);
  }
  return Number.isNaN(offset) ? zone.offset(ms) : offset;
}

const twoDigits = (n: number) => String(n).padStart(2, "0");

/** An instant shown in a clinic's zone as RFC 3339 with its offset, e.g. 2026-03-29T10:00:00+02:00. */
export function toLocalIso(instant: Date, timeZone: string): string {
  const zone = zoneOf(timeZone);
  const ms = instant.getTime();
  // Written here for the instants slots have (IANA zones, 1970 onwards, whole-minute offsets): exactly
  // what luxon writes (a property test compares them); anything else (UTC's "Z", local mean time's
  // offsets in seconds, far years) is left to luxon.
  if (zone.type === "iana" && ms >= fastRange.from && ms < fastRange.to) {
    const offset = offsetAt(zone, ms);
    if (Number.isInteger(offset)) {
      const local = new Date(ms + offset * minuteMs).toISOString();
      const millis = ms % 1000 === 0 ? "" : local.slice(19, 23);
      const sign = offset < 0 ? "-" : "+";
      const abs = Math.abs(offset);
      return `${local.slice(0, 19)}${millis}${sign}${twoDigits(Math.floor(abs / 60))}:${twoDigits(abs % 60)}`;
    }
  }
  return DateTime.fromJSDate(instant, { zone }).toISO({ suppressMilliseconds: true })!;
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
