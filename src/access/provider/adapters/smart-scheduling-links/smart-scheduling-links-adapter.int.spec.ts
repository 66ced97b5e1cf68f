import { afterEach, describe, expect, it } from "vitest";
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
