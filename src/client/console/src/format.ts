/** How figures read on the page: milliseconds, rates, instants (the browser's own time zone), ages. */

export function ms(value: number): string {
  if (value >= 10_000) return `${(value / 1000).toFixed(0)} s`;
  if (value >= 1000) return `${(value / 1000).toFixed(1)} s`;
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(value % 1 === 0 ? 0 : 1)} ms`;
}

export function percent(rate: number): string {
  if (rate === 0) return "0 %";
  if (rate < 0.001) return "< 0.1 %";
  return `${(rate * 100).toFixed(rate < 0.1 ? 1 : 0)} %`;
}

const dateTime = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short" });
const time = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit" });
const timeSeconds = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });

export const formatDateTime = (iso: string | Date) => dateTime.format(new Date(iso));
export const formatTime = (iso: string | Date) => time.format(new Date(iso));
export const formatTimeSeconds = (iso: string | Date) => timeSeconds.format(new Date(iso));

/** "3 min ago", "2 h ago", "5 days ago". */
export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} days ago`;
}

/** A slot's local start as the clinic sees it: "Mon 7 Dec, 09:30" from "2026-12-07T09:30:00+01:00". */
export function localSlotTime(localIso: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(localIso);
  if (!match) return localIso;
  const [, y, mo, d, h, mi] = match;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  const label = new Intl.DateTimeFormat("en-GB", { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" }).format(day);
  return `${label}, ${h}:${mi}`;
}

/** A weekday at least `daysAhead` days from today, as a calendar date (YYYY-MM-DD). */
export function weekdayAhead(daysAhead: number, now = new Date()): string {
  const date = new Date(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate() + daysAhead));
  while (date.getUTCDay() === 0 || date.getUTCDay() === 6) date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}
