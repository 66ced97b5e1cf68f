import { describe, expect, it } from "vitest";
import type { OpenSlot } from "../adapter.js";
import { type CachedQuery, type CacheOutcome, createAvailabilityCache, type FetchDays } from "./availability-cache.js";

const zone = "Europe/Stockholm";
/** Local midnight of 2027-02-01 in Stockholm (UTC+1). */
const day1 = Date.parse("2027-01-31T23:00:00Z");
const dayMs = 86_400_000;

const slot = (id: string, dayIndex: number, hour = 9): OpenSlot => ({
  providerSlotId: id,
  start: new Date(day1 + dayIndex * dayMs + hour * 3_600_000),
  end: new Date(day1 + dayIndex * dayMs + hour * 3_600_000 + 1_800_000),
  practitionerCode: "P1",
  practitionerName: "Ada",
});

/** A provider with two slots on each of the first ten days, counting the calls it gets and the windows asked. */
function provider(options: { delayMs?: number; fail?: boolean; freshForMs?: number } = {}) {
  const calls: Array<{ start: Date; end: Date }> = [];
  let taken = new Set<string>();
  const fetch: FetchDays = async (window) => {
    calls.push(window);
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    if (options.fail) throw new Error("provider down");
    const slots = Array.from({ length: 10 }, (_, d) => [slot(`a${d}`, d), slot(`b${d}`, d, 14)])
      .flat()
      .filter((s) => s.start >= window.start && s.start < window.end && !taken.has(s.providerSlotId));
    return { slots, freshForMs: options.freshForMs };
  };
  return {
    calls,
    fetch,
    take: (id: string) => {
      taken = new Set([...taken, id]);
    },
  };
}

function harness(maxBytes?: number) {
  let now = day1 - 10 * dayMs;
  const outcomes: CacheOutcome[] = [];
  const cache = createAvailabilityCache({ now: () => now, maxBytes, onLookup: (outcome) => outcomes.push(outcome) });
  const query = (fromDay: number, toDay: number, more: Partial<CachedQuery> = {}): CachedQuery => ({
    instanceId: "kb",
    revision: 1,
    clinicCode: "C1",
    treatmentCode: "T1",
    window: { start: new Date(day1 + fromDay * dayMs), end: new Date(day1 + (toDay + 1) * dayMs) },
    timeZone: zone,
    freshMs: 30_000,
    ...more,
  });
  return {
    cache,
    query,
    outcomes,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const ids = (result: { slots: OpenSlot[] }) => result.slots.map((s) => s.providerSlotId);

describe("the availability cache", () => {
  it("answers a hundred concurrent searches of one window with one provider call", async () => {
    const { cache, query } = harness();
    const p = provider({ delayMs: 20 });
    const answers = await Promise.all(Array.from({ length: 100 }, () => cache.find(query(0, 6), p.fetch)));
    expect(p.calls).toHaveLength(1);
    for (const answer of answers) expect(ids(answer)).toHaveLength(14);
  });

  it("asks whole local days, one call per run of days it lacks", async () => {
    const { cache, query } = harness();
    const p = provider();
    await cache.find(query(0, 2), p.fetch);
    await cache.find(query(4, 4), p.fetch);
    // Days 0-2 and 4 are cached: 3 and 5-6 are fetched, in two calls.
    const answer = await cache.find(query(0, 6), p.fetch);
    expect(ids(answer)).toHaveLength(14);
    expect(p.calls.map((w) => [w.start.toISOString(), w.end.toISOString()])).toEqual([
      ["2027-01-31T23:00:00.000Z", "2027-02-03T23:00:00.000Z"],
      ["2027-02-04T23:00:00.000Z", "2027-02-05T23:00:00.000Z"],
      ["2027-02-03T23:00:00.000Z", "2027-02-04T23:00:00.000Z"],
      ["2027-02-05T23:00:00.000Z", "2027-02-07T23:00:00.000Z"],
    ]);
  });

  it("serves within the bound, refreshes behind past half of it, and never serves past it", async () => {
    const { cache, query, advance, outcomes } = harness();
    const p = provider();
    const first = await cache.find(query(0, 0), p.fetch);
    advance(10_000);
    const hit = await cache.find(query(0, 0), p.fetch);
    expect(p.calls).toHaveLength(1);
    expect(hit.asOf).toEqual(first.asOf);
    advance(10_000); // 20 s old: served, and refreshed behind the answer
    const stale = await cache.find(query(0, 0), p.fetch);
    expect(stale.asOf).toEqual(first.asOf);
    expect(p.calls).toHaveLength(2);
    expect(outcomes).toEqual(["miss", "hit", "stale"]);
    await new Promise((resolve) => setImmediate(resolve));
    const refreshed = await cache.find(query(0, 0), p.fetch);
    expect(refreshed.asOf.getTime()).toBeGreaterThan(first.asOf.getTime());
    advance(31_000); // past the bound: waits for the provider
    const p2 = provider({ fail: true });
    await expect(cache.find(query(0, 0), p2.fetch)).rejects.toThrow("provider down");
  });

  it("never keeps an answer longer than the provider says it stays fresh", async () => {
    const { cache, query, advance } = harness();
    const p = provider({ freshForMs: 4000 });
    await cache.find(query(0, 0), p.fetch);
    advance(5000);
    await cache.find(query(0, 0), p.fetch);
    expect(p.calls).toHaveLength(2);
  });

  it("does not cache a failure: the next search asks again", async () => {
    const { cache, query } = harness();
    await expect(cache.find(query(0, 0), provider({ fail: true }).fetch)).rejects.toThrow();
    const p = provider();
    expect(ids(await cache.find(query(0, 0), p.fetch))).toEqual(["a0", "b0"]);
  });

  it("drops a slot held or booked at once, and asks again for a day with a cancellation", async () => {
    const { cache, query } = harness();
    const p = provider();
    await cache.find(query(0, 1), p.fetch);
    cache.forgetSlot("kb", "a0");
    expect(ids(await cache.find(query(0, 1), p.fetch))).toEqual(["b0", "a1", "b1"]);
    expect(p.calls).toHaveLength(1);
    cache.forgetDay("kb", slot("a0", 0).start);
    expect(ids(await cache.find(query(0, 1), p.fetch))).toEqual(["a0", "b0", "a1", "b1"]);
    expect(p.calls).toHaveLength(2);
  });

  it("does not bring back a slot taken while a fetch of its day was under way", async () => {
    const { cache, query } = harness();
    const p = provider({ delayMs: 30 });
    const running = cache.find(query(0, 0), p.fetch);
    // The provider answered before the hold; the hold lands before the answer does.
    cache.forgetSlot("kb", "a0");
    expect(ids(await running)).toEqual(["b0"]);
    expect(ids(await cache.find(query(0, 0), p.fetch))).toEqual(["b0"]);
    expect(p.calls).toHaveLength(1);
  });

  it("keeps instances, clinics, treatments and revisions apart", async () => {
    const { cache, query } = harness();
    const p = provider();
    await cache.find(query(0, 0), p.fetch);
    await cache.find(query(0, 0, { clinicCode: "C2" }), p.fetch);
    await cache.find(query(0, 0, { treatmentCode: "T2" }), p.fetch);
    await cache.find(query(0, 0, { instanceId: "fhir" }), p.fetch);
    await cache.find(query(0, 0, { revision: 2 }), p.fetch);
    expect(p.calls).toHaveLength(5);
    cache.forgetSlot("fhir", "a0");
    expect(ids(await cache.find(query(0, 0), p.fetch))).toEqual(["a0", "b0"]);
  });

  it("stays within its size bound, dropping the least recently used days", async () => {
    const { cache, query } = harness(4000);
    const p = provider();
    for (let d = 0; d < 10; d++) await cache.find(query(d, d), p.fetch);
    expect(cache.size.bytes).toBeLessThanOrEqual(4000);
    expect(cache.size.entries).toBeLessThan(10);
    await cache.find(query(9, 9), p.fetch);
    expect(p.calls).toHaveLength(10);
    await cache.find(query(0, 0), p.fetch);
    expect(p.calls).toHaveLength(11);
  });

  it("with a bound of 0 asks the provider every time", async () => {
    const { cache, query } = harness();
    const p = provider();
    await cache.find(query(0, 0, { freshMs: 0 }), p.fetch);
    await cache.find(query(0, 0, { freshMs: 0 }), p.fetch);
    expect(p.calls).toHaveLength(2);
    expect(cache.size.entries).toBe(0);
  });

  it("says how fresh an answer is: as old as its oldest day", async () => {
    const { cache, query, advance } = harness();
    const p = provider();
    const early = await cache.find(query(0, 0), p.fetch);
    advance(5000);
    const mixed = await cache.find(query(0, 1), p.fetch);
    expect(mixed.asOf).toEqual(early.asOf);
  });

  it("keeps only slots inside the window asked, though it fetched whole days", async () => {
    const { cache, query } = harness();
    const p = provider();
    const q = query(0, 0);
    const noonOnward = { ...q, window: { start: new Date(day1 + 12 * 3_600_000), end: q.window.end } };
    expect(ids(await cache.find(noonOnward, p.fetch))).toEqual(["b0"]);
    expect(ids(await cache.find(q, p.fetch))).toEqual(["a0", "b0"]);
    expect(p.calls).toHaveLength(1);
  });
});
