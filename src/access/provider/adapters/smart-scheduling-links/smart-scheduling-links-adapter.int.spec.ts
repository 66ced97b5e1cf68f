import { DateTime } from "luxon";
import { afterEach, describe, expect, it } from "vitest";
import { maxResponseBytes } from "../../private/fetch-json.js";
import { type SmartSimulator, smartServiceType, startSmartSimulator } from "./simulator/smart-simulator.js";
import { createSmartSchedulingLinksAdapter } from "./smart-scheduling-links-adapter.js";

let simulator: SmartSimulator | undefined;
afterEach(() => simulator?.close());

const adapterFor = (url: string, options: Record<string, unknown> = { states: ["AB"] }) =>
  createSmartSchedulingLinksAdapter({
    id: "smart-test",
    adapter: "smart-scheduling-links",
    baseUrl: url,
    timeZone: "Europe/Stockholm",
    options,
  });
const nextWeek = () => ({ start: new Date(Date.now() + 7 * 86_400_000), end: new Date(Date.now() + 8 * 86_400_000) });
const find = (adapter: ReturnType<typeof adapterFor>) =>
  adapter.findOpenSlots(
    { clinicCode: "smart-sodermalm", treatmentCode: smartServiceType.code, window: nextWeek() },
    AbortSignal.timeout(5000),
  );

describe("the SMART Scheduling Links adapter", () => {
  it("fetches nothing while the feed is fresh (Cache-Control max-age)", async () => {
    simulator = await startSmartSimulator({ maxAgeSeconds: 60 });
    const adapter = adapterFor(simulator.url);
    const first = await find(adapter);
    const fetched = simulator.requests.length;
    const second = await find(adapter);
    expect(second.map((s) => s.providerSlotId)).toEqual(first.map((s) => s.providerSlotId));
    expect(simulator.requests.length).toBe(fetched);
  });

  it("revalidates a stale feed with If-None-Match and keeps what a 304 confirms", async () => {
    simulator = await startSmartSimulator({ maxAgeSeconds: 0 });
    const adapter = adapterFor(simulator.url);
    const first = await find(adapter);
    simulator.requests.length = 0;
    const second = await find(adapter);
    expect(second.map((s) => s.providerSlotId)).toEqual(first.map((s) => s.providerSlotId));
    expect(simulator.requests.length).toBeGreaterThan(0);
    expect(simulator.requests.every((r) => r.status === 304)).toBe(true);
  });

  it("reads only the Slot files of the states it is set up for", async () => {
    simulator = await startSmartSimulator({ maxAgeSeconds: 60 });
    await find(adapterFor(simulator.url, { states: ["AB"] }));
    const paths = simulator.requests.map((r) => r.path);
    expect(paths).toContain("/slots-AB.ndjson");
    expect(paths).not.toContain("/slots-C.ndjson");
  });

  it("sends the patient to the provider's booking page, saying who referred them", async () => {
    simulator = await startSmartSimulator();
    const adapter = adapterFor(simulator.url, { states: ["AB"], source: "varden-test" });
    expect(adapter.capabilities).toMatchObject({ bookingMode: "deep-link", supportsHold: false });
    const [slot] = await find(adapter);
    const link = new URL(slot!.bookingLink!);
    expect(link.origin).toBe("https://booking.example.se");
    expect(link.searchParams.get("slot")).toBe(slot!.providerSlotId);
    expect(link.searchParams.get("source")).toBe("varden-test");
    expect(link.searchParams.get("booking-referral")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("what a SMART feed says about its slots and sites", () => {
  it("shows the places left in a slot (slot-capacity) and its booking phone", async () => {
    simulator = await startSmartSimulator();
    const slots = await find(adapterFor(simulator.url));
    expect(slots.length).toBeGreaterThan(0);
    for (const slot of slots) {
      expect(slot.remainingCapacity).toBeGreaterThanOrEqual(1);
      expect(slot.remainingCapacity).toBeLessThanOrEqual(100);
      expect(slot.bookingPhone).toBe("+46 8 555 000 00");
    }
    // Places left differ from slot to slot: they are read, not assumed.
    expect(new Set(slots.map((s) => s.remainingCapacity)).size).toBeGreaterThan(1);
    const uppsala = await adapterFor(simulator.url, { states: ["C"] }).findOpenSlots(
      { clinicCode: "smart-uppsala", treatmentCode: smartServiceType.code, window: nextWeek() },
      AbortSignal.timeout(5000),
    );
    expect(uppsala.length).toBeGreaterThan(0);
    expect(uppsala.every((s) => s.remainingCapacity === undefined)).toBe(true);
  });

  it("lists each site's address and telecom, and each treatment's length from its slots", async () => {
    simulator = await startSmartSimulator();
    const catalog = await adapterFor(simulator.url).listCatalog!(AbortSignal.timeout(5000));
    expect(catalog.clinics.find((c) => c.code === "smart-sodermalm")).toEqual({
      code: "smart-sodermalm",
      name: "Vaccination Södermalm",
      city: "Stockholm",
      address: "Ringvägen 100, 118 60 Stockholm",
      timeZone: "Europe/Stockholm",
      phone: "+46 8 555 000 00",
      website: "https://booking.example.se/vaccination/smart-sodermalm",
    });
    expect(catalog.treatments.find((t) => t.code === smartServiceType.code)?.durationMinutes).toBe(60);
  });
});

describe("a large publisher's feed", () => {
  it("is read as a stream: a Slot file of over 20 MB, four times what one answer may hold as text", async () => {
    simulator = await startSmartSimulator({ largeSites: 3, maxAgeSeconds: 60 });
    const size = (await (await fetch(`${simulator.url}/slots-Z.ndjson`)).arrayBuffer()).byteLength;
    expect(size).toBeGreaterThan(4 * maxResponseBytes);
    const adapter = adapterFor(simulator.url, { states: ["Z"] });
    const day = DateTime.now().setZone("Europe/Stockholm").plus({ weeks: 2 }).startOf("day");
    const slots = await adapter.findOpenSlots(
      {
        clinicCode: "smart-large-2",
        treatmentCode: smartServiceType.code,
        window: { start: day.toJSDate(), end: day.plus({ days: 1 }).toJSDate() },
      },
      AbortSignal.timeout(15_000),
    );
    // 08:00–20:00 every twenty minutes, less the slots already taken.
    expect(slots.length).toBeGreaterThan(18);
    expect(slots.length).toBeLessThanOrEqual(36);
    expect(slots.every((s) => s.providerSlotId.startsWith("smart-large-2-"))).toBe(true);
  }, 60_000);

  it("refuses a line longer than the limit before holding it whole", async () => {
    simulator = await startSmartSimulator();
    const error = await find(adapterFor(simulator.url, { states: ["AB"], maxLineBytes: 100 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "bad-response", message: expect.stringContaining("a line exceeds 100 bytes") });
  });

  it("refuses a file larger than the limit", async () => {
    simulator = await startSmartSimulator();
    const error = await find(adapterFor(simulator.url, { states: ["AB"], maxFileBytes: 100_000 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "bad-response", message: expect.stringContaining("exceeds 100000 bytes") });
  });
});
