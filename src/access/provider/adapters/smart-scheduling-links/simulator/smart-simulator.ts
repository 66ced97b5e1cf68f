import { createHash } from "node:crypto";
import type http from "node:http";
import { DateTime } from "luxon";
import { FaultInjector, sendJson } from "../../../simulator-kit/fault-injector.js";
import { type SimulatorServer, serveSimulator } from "../../../simulator-kit/serve-simulator.js";

/**
 * A SMART Scheduling Links publisher: a `$bulk-publish` manifest listing
 * Location, Schedule and Slot NDJSON files (Slot files tagged with the states
 * they cover), each served with an ETag and `Cache-Control: max-age`, and
 * answering `If-None-Match` with 304. Read-only: slots carry a
 * `booking-deep-link` to the provider's own booking page.
 *
 * Its data are its own (two Swedish vaccination sites), generated for the
 * coming year so any date a test asks about has slots. Södermalm is a mass
 * vaccination site: each of its hourly slots takes up to 100 patients and
 * says how many places are left (`slot-capacity`). Every slot has a
 * `booking-phone` beside its deep link; Locations have an address and telecom.
 *
 * `largeSites: n` adds n large sites in state "Z", each with a slot every
 * twenty minutes from 08 to 20 every day of the year, about 7 MB of Slot file
 * per site: a feed as large as big publishers', for tests that parsing stays
 * bounded.
 */
export interface SmartSimulator extends SimulatorServer {
  /** Every request it answered, to see what a client fetched and what it revalidated. */
  requests: Array<{ path: string; status: number }>;
}

const ext = "http://fhir-registry.smarthealthit.org/StructureDefinition";
export const smartServiceType = { system: "http://terminology.hl7.org/CodeSystem/service-type", code: "57", display: "Immunization" };

interface Site {
  id: string;
  name: string;
  city: string;
  state: string;
  line: string;
  postalCode: string;
  phone: string;
  zone: string;
  weekdays: number[];
  open: number;
  close: number;
  /** Minutes per slot. */
  length: number;
  /** Patients one slot takes; absent: one (and no slot-capacity extension). */
  capacity?: number;
}

const sites: Site[] = [
  {
    id: "smart-sodermalm",
    name: "Vaccination Södermalm",
    city: "Stockholm",
    state: "AB",
    line: "Ringvägen 100",
    postalCode: "118 60",
    phone: "+46 8 555 000 00",
    zone: "Europe/Stockholm",
    weekdays: [1, 2, 3, 4, 5, 6, 7],
    open: 9,
    close: 15,
    length: 60,
    capacity: 100,
  },
  {
    id: "smart-uppsala",
    name: "Vaccination Uppsala",
    city: "Uppsala",
    state: "C",
    line: "Kungsgatan 5",
    postalCode: "753 21",
    phone: "+46 18 555 000 00",
    zone: "Europe/Stockholm",
    weekdays: [1, 2, 3, 4, 5],
    open: 8,
    close: 16,
    length: 60,
  },
];

const largeSite = (n: number): Site => ({
  id: `smart-large-${n}`,
  name: `Massvaccination ${n}`,
  city: "Östersund",
  state: "Z",
  line: `Storgatan ${n}`,
  postalCode: "831 30",
  phone: "+46 63 555 000 00",
  zone: "Europe/Stockholm",
  weekdays: [1, 2, 3, 4, 5, 6, 7],
  open: 8,
  close: 20,
  length: 20,
  capacity: 20,
});

export async function startSmartSimulator(
  options: { port?: number; host?: string; maxAgeSeconds?: number; seed?: string; largeSites?: number } = {},
): Promise<SmartSimulator> {
  const maxAge = options.maxAgeSeconds ?? 300;
  const seed = options.seed ?? "smart";
  const allSites = [...sites, ...Array.from({ length: options.largeSites ?? 0 }, (_, i) => largeSite(i + 1))];
  // Generating a large site's year of slots takes a while: each file is made once a day (and per fault).
  const made = new Map<string, string>();
  const injector = new FaultInjector();
  const requests: SmartSimulator["requests"] = [];
  let base = "";

  const ndjson = (resources: unknown[]) => `${resources.map((r) => JSON.stringify(r)).join("\n")}\n`;
  const hash = (id: string) => createHash("sha256").update(`${seed}:${id}`).digest();
  const busy = (id: string) => hash(id)[0]! % 4 === 0;

  function slotsFor(state: string, wrongTypes: boolean): unknown[] {
    const slots: unknown[] = [];
    const first = DateTime.now().setZone("Europe/Stockholm").startOf("day").minus({ days: 7 });
    for (const site of allSites.filter((s) => s.state === state)) {
      for (let day = first.setZone(site.zone); day < first.plus({ days: 400 }); day = day.plus({ days: 1 })) {
        if (!site.weekdays.includes(day.weekday)) continue;
        // Opening hours are wall-clock hours: set, not added, so DST days open at the usual time.
        const close = day.set({ hour: site.close });
        for (let start = day.set({ hour: site.open }); start < close; start = start.plus({ minutes: site.length })) {
          const id = `${site.id}-${start.toFormat("yyyyMMddHHmm")}`;
          const taken = busy(id);
          // Places left: some of the site's capacity is booked already.
          const left = site.capacity ? 1 + (hash(id).readUInt16BE(1) % site.capacity) : undefined;
          slots.push({
            resourceType: "Slot",
            id,
            schedule: { reference: `Schedule/${site.id}-vaccination` },
            status: taken ? "busy" : "free",
            start: wrongTypes ? start.toMillis() : start.toISO({ suppressMilliseconds: true }),
            end: start.plus({ minutes: site.length }).toISO({ suppressMilliseconds: true }),
            extension: [
              { url: `${ext}/booking-deep-link`, valueUrl: `https://booking.example.se/vaccination/book?slot=${id}` },
              { url: `${ext}/booking-phone`, valueString: site.phone },
              ...(left && !taken ? [{ url: `${ext}/slot-capacity`, valueInteger: left }] : []),
            ],
          });
        }
      }
    }
    return slots;
  }

  function file(path: string): string | undefined {
    const wrongTypes = injector.faults.malformed === "wrong-types";
    if (path === "/locations.ndjson") {
      return ndjson(
        allSites.map((s) => ({
          resourceType: "Location",
          id: s.id,
          name: s.name,
          telecom: [
            { system: "phone", value: s.phone },
            { system: "url", value: `https://booking.example.se/vaccination/${s.id}` },
          ],
          address: { line: [s.line], city: s.city, state: s.state, postalCode: s.postalCode, country: "SE" },
        })),
      );
    }
    if (path === "/schedules.ndjson") {
      return ndjson(
        allSites.map((s) => ({
          resourceType: "Schedule",
          id: `${s.id}-vaccination`,
          serviceType: [{ coding: [smartServiceType] }],
          actor: [{ reference: `Location/${s.id}` }],
        })),
      );
    }
    const slotFile = /^\/slots-([A-Z]+)\.ndjson$/.exec(path);
    if (!slotFile) return undefined;
    const key = `${path}|${wrongTypes}|${DateTime.now().toISODate()}`;
    if (!made.has(key)) made.set(key, ndjson(slotsFor(slotFile[1]!, wrongTypes)));
    return made.get(key);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? "/", "http://simulator");
    const finish = res.end.bind(res);
    res.end = ((...args: Parameters<typeof res.end>) => {
      requests.push({ path: url.pathname, status: res.statusCode });
      return finish(...args);
    }) as typeof res.end;
    if (injector.handleAdmin(req, res, url, "")) return;
    if (await injector.apply(res, url)) return;
    if (req.method !== "GET") return sendJson(res, 405, { error: "read-only" });
    let body: string | undefined;
    let type = "application/fhir+ndjson";
    if (url.pathname === "/$bulk-publish") {
      type = "application/json";
      body = JSON.stringify({
        transactionTime: DateTime.now().startOf("day").toISO(),
        request: `${base}/$bulk-publish`,
        output: [
          { type: "Location", url: `${base}/locations.ndjson` },
          { type: "Schedule", url: `${base}/schedules.ndjson` },
          ...[...new Set(allSites.map((s) => s.state))].map((state) => ({
            type: "Slot",
            url: `${base}/slots-${state}.ndjson`,
            extension: { state: [state] },
          })),
        ],
        error: [],
      });
    } else {
      body = file(url.pathname);
    }
    if (body === undefined) return sendJson(res, 404, { error: "not found" });
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"`;
    const cache = { etag, "cache-control": `max-age=${maxAge}` };
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, cache).end();
      return;
    }
    res.writeHead(200, { ...cache, "content-type": type }).end(body);
  }

  const served = await serveSimulator(injector, handle, (res, error) => sendJson(res, 500, { error: error.message }), options);
  base = served.url;
  return Object.assign(served, { requests });
}
