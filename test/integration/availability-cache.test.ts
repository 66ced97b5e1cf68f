import type { Slot } from "@booking-platform/client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DemoSystem, startDemoSystem } from "./support/demo-system.js";

const patient = { name: "Cilla Cache", personalIdentityNumber: "19800101-1231", phone: "0701112233", email: "cilla@example.se" };

/**
 * Availability from provider access's cache, through every service in one
 * process, against DynamoDB Local and the Klinikbokning simulator over HTTP:
 * what a provider is asked (counted at the simulator), what a reservation
 * changes at once, and what the API tells a CDN or client.
 */
describe("availability at marketplace speed", () => {
  let demo: DemoSystem;
  let offsetMs = 0;
  const now = () => new Date(Date.now() + offsetMs);
  let keys = 0;
  const key = () => `cache-${++keys}-${Date.now()}`;

  beforeAll(async () => {
    demo = await startDemoSystem({ now, availabilityCacheSeconds: 30 });
  });
  afterEach(() => {
    offsetMs = 0;
  });
  afterAll(() => demo?.close());

  const timeslotCalls = () =>
    [...demo.klinikbokning.calls].filter(([call]) => call.includes("/timeslots")).reduce((sum, [, count]) => sum + count, 0);
  /** The n-th weekday from today: each test searches days of its own, which no other test has cached. */
  const date = (weekdaysAhead: number) => {
    const day = new Date();
    for (let left = weekdaysAhead; left > 0; ) {
      day.setUTCDate(day.getUTCDate() + 1);
      if (day.getUTCDay() !== 0 && day.getUTCDay() !== 6) left--;
    }
    return day.toISOString().slice(0, 10);
  };
  const search = (day: string, headers: Record<string, string> = {}) =>
    fetch(`${demo.baseUrl}/v1/availability?treatment=dental-hygiene&clinic=odenplan-clinic&from=${day}&to=${day}&pageSize=100`, {
      headers: { authorization: `Bearer ${demo.apiKey}`, ...headers },
    });
  const slotsOn = async (day: string) => ((await (await search(day)).json()) as { items: Slot[] }).items;
  const sameSlot = (a: Slot) => (b: Slot) => a.start === b.start && a.practitionerName === b.practitionerName;

  it("asks the provider once for a hundred concurrent searches of the same days", async () => {
    const day = date(30);
    const before = timeslotCalls();
    const answers = await Promise.all(Array.from({ length: 100 }, () => search(day)));
    expect(answers.map((a) => a.status)).toEqual(Array(100).fill(200));
    expect(timeslotCalls() - before).toBe(1);
    // And again, within the bound: no call at all.
    await search(day);
    expect(timeslotCalls() - before).toBe(1);
  });

  it("asks again once the instance's bound has passed", async () => {
    const day = date(31);
    await search(day);
    const before = timeslotCalls();
    offsetMs = 31_000;
    // (Past the API's own 5 s too: no-cache asks it to make the answer anew, as that would by then.)
    await search(day, { "cache-control": "no-cache" });
    expect(timeslotCalls() - before).toBe(1);
  });

  it("says per provider when it said so", async () => {
    const day = date(32);
    const before = Date.now();
    const body = (await (await search(day)).json()) as { providers: Array<{ providerInstanceId: string; asOf?: string }> };
    const asOf = Date.parse(body.providers.find((p) => p.providerInstanceId === "klinikbokning-demo")!.asOf!);
    expect(asOf).toBeGreaterThanOrEqual(before - 1000);
    expect(asOf).toBeLessThanOrEqual(Date.now());
  });

  it("hides a slot the moment it is held, and shows it again the moment the hold is cancelled", async () => {
    const day = date(33);
    const slot = (await slotsOn(day))[0]!;
    const held = await demo.client.POST("/v1/reservations", {
      params: { header: { "idempotency-key": key() } },
      body: { slotId: slot.slotId, treatmentId: slot.treatmentId, patient },
    });
    expect(held.response.status).toBe(201);
    expect((await slotsOn(day)).some(sameSlot(slot))).toBe(false);
    const cancelled = await demo.client.POST("/v1/reservations/{reservationId}/cancel", {
      params: { path: { reservationId: held.data!.id }, header: { "idempotency-key": key() } },
    });
    expect(cancelled.response.status).toBe(200);
    expect((await slotsOn(day)).some(sameSlot(slot))).toBe(true);
  });

  it("tells a CDN or client it may reuse the answer briefly, and answers 304 while it holds", async () => {
    const day = date(34);
    const first = await search(day);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    expect(first.headers.get("cache-control")).toBe("public, max-age=5");
    expect(first.headers.get("vary")).toContain("authorization");
    // The same slots give the same body: the same ETag.
    expect((await search(day)).headers.get("etag")).toBe(etag);
    const notModified = await search(day, { "if-none-match": etag! });
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe("");
    expect((await search(day, { "if-none-match": `W/${etag}, "other"` })).status).toBe(304);
    expect((await search(day, { "if-none-match": '"other"' })).status).toBe(200);

    // A hold changes the answer, so the ETag no longer holds.
    const slot = (await slotsOn(day))[0]!;
    await demo.client.POST("/v1/reservations", {
      params: { header: { "idempotency-key": key() } },
      body: { slotId: slot.slotId, treatmentId: slot.treatmentId, patient },
    });
    const changed = await search(day, { "if-none-match": etag! });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
  });

  it("never lets a cache keep an error: no ETag, no-store", async () => {
    const answer = await fetch(`${demo.baseUrl}/v1/availability?treatment=nothing-like-it&from=${date(35)}&to=${date(35)}`, {
      headers: { authorization: `Bearer ${demo.apiKey}` },
    });
    expect(answer.status).toBe(404);
    expect(answer.headers.get("etag")).toBeNull();
    expect(answer.headers.get("cache-control")).toBe("no-store");
  });
});
