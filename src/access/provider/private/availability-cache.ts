import { LRUCache } from "lru-cache";
import { DateTime } from "luxon";
import type { OpenSlot } from "../adapter.js";

/**
 * What a provider said was free, per provider instance, clinic, treatment and
 * (the instance's local) day, so that the visitors of a marketplace searching
 * the same days do not each cost the provider a call.
 *
 * - **A bound per instance**: an answer is never served older than the
 *   instance's bound (`freshMs`), nor older than the provider itself says it
 *   stays fresh (a SMART feed's `Cache-Control: max-age`).
 * - **Stale-while-revalidate inside the bound**: past half of it, the answer is
 *   still served and refreshed in the background, so a steady search never
 *   waits for the provider.
 * - **Request coalescing**: days already being fetched are waited for, not
 *   fetched again; the days missing are fetched in one call per run of
 *   consecutive days. A hundred searches of one window cost one call.
 * - **Bounded memory**: an LRU limited by an estimate of its size in bytes.
 * - **Invalidation**: a slot held, booked, or found gone at the provider is
 *   dropped from every cached day at once; a cancellation drops the day it was
 *   on, so that the next search asks the provider. A changed instance
 *   (another revision) misses everything cached under the old one.
 *
 * A reservation never reads this cache: holds and bookings always ask the
 * provider. The cache is per process; with several provider access
 * processes, another one's cache can still show a slot held through this one
 * until its bound passes (a reservation of it then answers 409, which drops it
 * there too). docs/providers.md says more.
 */
export interface AvailabilityCache {
  find(query: CachedQuery, fetch: FetchDays): Promise<{ slots: OpenSlot[]; asOf: Date }>;
  /** The slot is held or booked (or the provider says it is gone): no cached day offers it any more. */
  forgetSlot(instanceId: string, providerSlotId: string): void;
  /** Something on this day changed at the provider (a cancellation): ask it again. All days when `day` is unknown. */
  forgetDay(instanceId: string, instant?: Date): void;
  readonly size: { entries: number; bytes: number };
}

export interface CachedQuery {
  instanceId: string;
  /** Bumped whenever the instance's settings change: entries of an older revision are never used. */
  revision: number;
  clinicCode: string;
  treatmentCode: string;
  window: { start: Date; end: Date };
  /** The instance's zone: days are its local days. */
  timeZone: string;
  /** Never serve an answer older than this; 0 turns caching off for the instance. */
  freshMs: number;
}

/** Asks the provider for whole days; `freshForMs` is how long the provider says its answer stays fresh, if it says. */
export type FetchDays = (window: { start: Date; end: Date }) => Promise<{ slots: OpenSlot[]; freshForMs?: number }>;

export type CacheOutcome = "hit" | "stale" | "miss" | "coalesced" | "bypass";

export interface AvailabilityCacheOptions {
  /** Upper bound of the estimated bytes held (default 64 MiB). */
  maxBytes?: number;
  now?: () => number;
  /** Told how each day of a search was served, for the hit-ratio metric. */
  onLookup?: (outcome: CacheOutcome, instanceId: string) => void;
  /** A background refresh that failed: the stale answer stays until its bound. */
  onRefreshError?: (error: unknown, instanceId: string) => void;
}

interface DayEntry {
  slots: OpenSlot[];
  fetchedAt: number;
  /** Served until then, never after. */
  expiresAt: number;
  /** Refreshed in the background from then on. */
  refreshAt: number;
  bytes: number;
}

/**
 * What a cached slot and a day's entry take on the heap, for the size bound. Measured (Node 24):
 * 100,000 slots of 400 days, each with its own id and a practitioner's name, took 43.9 MiB of heap
 * after a full GC, ~460 bytes a slot; an estimate of 320 had let the 64 MiB bound hold ~92 MiB.
 */
const slotBytes = 460;
const entryBytes = 200;

export function createAvailabilityCache(options: AvailabilityCacheOptions = {}): AvailabilityCache {
  const now = options.now ?? Date.now;
  const lookedUp = options.onLookup ?? (() => {});
  /** The keys cached per instance, so that invalidation does not walk the whole cache. */
  const keysOf = new Map<string, Set<string>>();
  const instanceOfKey = (key: string) => key.slice(0, key.indexOf("|"));
  const days = new LRUCache<string, DayEntry>({
    maxSize: options.maxBytes ?? 64 * 1024 * 1024,
    sizeCalculation: (entry) => entry.bytes,
    // Evicted or deleted, not replaced: a replaced entry keeps its key.
    dispose: (_entry, key, reason) => reason !== "set" && keysOf.get(instanceOfKey(key))?.delete(key),
  });
  /**
   * What was forgotten, per instance, numbered: a fetch that began before a slot was forgotten must not
   * bring it back when it lands, and one that began before a day was forgotten is not cached at all.
   */
  const forgotten = new Map<string, { count: number; slots: Map<string, number>; dayReset: number }>();
  const forgottenOf = (instanceId: string) => {
    const state = forgotten.get(instanceId) ?? { count: 0, slots: new Map<string, number>(), dayReset: 0 };
    forgotten.set(instanceId, state);
    return state;
  };
  /** Days being fetched now, by key: a search that needs one waits for it. */
  const inFlight = new Map<string, Promise<DayEntry>>();

  const keyOf = (q: CachedQuery, day: string) => `${q.instanceId}|${q.revision}|${q.clinicCode}|${q.treatmentCode}|${day}`;

  function store(key: string, entry: DayEntry) {
    days.set(key, entry);
    const instance = instanceOfKey(key);
    const keys = keysOf.get(instance) ?? new Set<string>();
    keysOf.set(instance, keys);
    keys.add(key);
  }

  /** Fetches a run of consecutive days in one provider call and caches each of them (empty days too). */
  function fetchRun(q: CachedQuery, run: LocalDay[], fetch: FetchDays): Map<string, Promise<DayEntry>> {
    const window = { start: run[0]!.start, end: run.at(-1)!.end };
    const changes = forgottenOf(q.instanceId);
    const began = changes.count;
    const fetched = fetch(window).then(({ slots: answered, freshForMs }) => {
      const at = now();
      // Held, booked or gone since we asked: the answer is older than what we know.
      const slots = changes.count === began ? answered : answered.filter((slot) => (changes.slots.get(slot.providerSlotId) ?? 0) <= began);
      const cacheable = changes.dayReset <= began;
      const freshMs = Math.max(0, Math.min(q.freshMs, freshForMs ?? Number.POSITIVE_INFINITY));
      const byDay = new Map<string, OpenSlot[]>(run.map((d) => [d.key, []]));
      for (const slot of slots) {
        const day = localDayOf(slot.start, q.timeZone);
        byDay.get(day)?.push(slot);
      }
      const entries = new Map<string, DayEntry>();
      for (const day of run) {
        const daySlots = byDay.get(day.key)!;
        const entry = {
          slots: daySlots,
          fetchedAt: at,
          expiresAt: at + freshMs,
          refreshAt: at + freshMs / 2,
          bytes: entryBytes + daySlots.length * slotBytes,
        };
        entries.set(day.key, entry);
        if (freshMs > 0 && cacheable) store(keyOf(q, day.key), entry);
      }
      return entries;
    });
    const promises = new Map<string, Promise<DayEntry>>();
    for (const day of run) {
      const key = keyOf(q, day.key);
      const promise = fetched.then((entries) => entries.get(day.key)!);
      inFlight.set(key, promise);
      // Settled either way, the day is no longer in flight (a failure is every waiter's failure, and is not cached).
      void promise.then(
        () => inFlight.get(key) === promise && inFlight.delete(key),
        () => inFlight.get(key) === promise && inFlight.delete(key),
      );
      promises.set(day.key, promise);
    }
    return promises;
  }

  return {
    async find(q, fetch) {
      const wanted = localDays(q.window, q.timeZone);
      if (q.freshMs <= 0) {
        lookedUp("bypass", q.instanceId);
        const { slots } = await fetch({ start: wanted[0]!.start, end: wanted.at(-1)!.end });
        return { slots: within(slots, q.window), asOf: new Date(now()) };
      }
      const at = now();
      const found = new Map<string, DayEntry | Promise<DayEntry>>();
      const missing: LocalDay[] = [];
      const toRefresh: LocalDay[] = [];
      for (const day of wanted) {
        const key = keyOf(q, day.key);
        const entry = days.get(key);
        // (An entry from the future means the clock went back: it is not trusted.)
        if (entry && at >= entry.fetchedAt && at < entry.expiresAt) {
          found.set(day.key, entry);
          if (at >= entry.refreshAt && !inFlight.has(key)) toRefresh.push(day);
          lookedUp(at >= entry.refreshAt ? "stale" : "hit", q.instanceId);
          continue;
        }
        const running = inFlight.get(key);
        if (running) {
          found.set(day.key, running);
          lookedUp("coalesced", q.instanceId);
          continue;
        }
        missing.push(day);
        lookedUp("miss", q.instanceId);
      }
      for (const run of consecutiveRuns(missing)) {
        for (const [day, promise] of fetchRun(q, run, fetch)) found.set(day, promise);
      }
      for (const run of consecutiveRuns(toRefresh)) {
        for (const promise of fetchRun(q, run, fetch).values()) {
          promise.catch((error: unknown) => options.onRefreshError?.(error, q.instanceId));
        }
      }
      const entries = await Promise.all(wanted.map((day) => found.get(day.key)!));
      return {
        slots: within(
          entries.flatMap((entry) => entry.slots),
          q.window,
        ),
        asOf: new Date(Math.min(...entries.map((entry) => entry.fetchedAt))),
      };
    },

    forgetSlot(instanceId, providerSlotId) {
      const changes = forgottenOf(instanceId);
      changes.slots.delete(providerSlotId);
      changes.slots.set(providerSlotId, ++changes.count);
      // Only fetches running now need to know; a few thousand of the latest are plenty.
      if (changes.slots.size > 5000) changes.slots.delete(changes.slots.keys().next().value!);
      for (const key of keysOf.get(instanceId) ?? []) {
        const entry = days.peek(key);
        if (!entry?.slots.some((slot) => slot.providerSlotId === providerSlotId)) continue;
        const slots = entry.slots.filter((slot) => slot.providerSlotId !== providerSlotId);
        days.set(key, { ...entry, slots, bytes: entryBytes + slots.length * slotBytes });
      }
    },

    forgetDay(instanceId, instant) {
      const changes = forgottenOf(instanceId);
      changes.dayReset = ++changes.count;
      for (const key of [...(keysOf.get(instanceId) ?? [])]) {
        if (instant) {
          // The key ends with the instance's local day; a day either side covers any zone the entry was made in.
          const day = key.slice(key.lastIndexOf("|") + 1);
          const utc = instant.getTime();
          const dayStart = Date.parse(`${day}T00:00:00Z`);
          if (utc < dayStart - 86_400_000 || utc >= dayStart + 2 * 86_400_000) continue;
        }
        days.delete(key);
      }
    },

    get size() {
      return { entries: days.size, bytes: days.calculatedSize };
    },
  };
}

interface LocalDay {
  key: string;
  start: Date;
  end: Date;
}

/** The instance's local days that the window touches, each as its instants [start, end). */
function localDays(window: { start: Date; end: Date }, timeZone: string): LocalDay[] {
  const result: LocalDay[] = [];
  let day = DateTime.fromJSDate(window.start, { zone: timeZone }).startOf("day");
  const last = window.end.getTime();
  for (let i = 0; i < 400 && day.toMillis() < last; i++) {
    const next = day.plus({ days: 1 }).startOf("day");
    result.push({ key: day.toISODate()!, start: day.toJSDate(), end: next.toJSDate() });
    day = next;
  }
  if (result.length === 0) throw new RangeError("the window is empty");
  return result;
}

function localDayOf(instant: Date, timeZone: string): string {
  return DateTime.fromJSDate(instant, { zone: timeZone }).toISODate()!;
}

function consecutiveRuns(days: LocalDay[]): LocalDay[][] {
  const runs: LocalDay[][] = [];
  for (const day of days) {
    const run = runs.at(-1);
    if (run && run.at(-1)!.end.getTime() === day.start.getTime()) run.push(day);
    else runs.push([day]);
  }
  return runs;
}

function within(slots: OpenSlot[], window: { start: Date; end: Date }): OpenSlot[] {
  return slots.filter((slot) => slot.start >= window.start && slot.start < window.end);
}
