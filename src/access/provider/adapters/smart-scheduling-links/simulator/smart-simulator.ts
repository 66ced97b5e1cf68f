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
 * coming year so any date a test asks about has slots.
 */
export interface SmartSimulator extends SimulatorServer {
  /** Every request it answered, to see what a client fetched and what it revalidated. */
  requests: Array<{ path: string; status: number }>;
}

const ext = "http://fhir-registry.smarthealthit.org/StructureDefinition";
export const smartServiceType = { system: "http://terminology.hl7.org/CodeSystem/service-type", code: "57", display: "Immunization" };

const sites = [
  {
    id: "smart-sodermalm",
    name: "Vaccination Södermalm",
    city: "Stockholm",
    state: "AB",
    line: "Ringvägen 100",
    zone: "Europe/Stockholm",
    weekdays: [1, 2, 3, 4, 5, 6, 7],
    open: 9,
    close: 15,
  },
  {
    id: "smart-uppsala",
    name: "Vaccination Uppsala",
    city: "Uppsala",
    state: "C",
    line: "Kungsgatan 5",
    zone: "Europe/Stockholm",
    weekdays: [1, 2, 3, 4, 5],
    open: 8,
    close: 16,
  },
];

export async function startSmartSimulator(
  options: { port?: number; host?: string; maxAgeSeconds?: number; seed?: string } = {},
): Promise<SmartSimulator> {
  const maxAge = options.maxAgeSeconds ?? 300;
  const seed = options.seed ?? "smart";
  const injector = new FaultInjector();
  const requests: SmartSimulator["requests"] = [];
  let base = "";

  const ndjson = (resources: unknown[]) => `${resources.map((r) => JSON.stringify(r)).join("\n")}\n`;
  const busy = (id: string) => createHash("sha256").update(`${seed}:${id}`).digest()[0]! % 4 === 0;

  function slotsFor(state: string, wrongTypes: boolean): unknown[] {
    const slots: unknown[] = [];
    const first = DateTime.now().setZone("Europe/Stockholm").startOf("day").minus({ days: 7 });
    for (const site of sites.filter((s) => s.state === state)) {
      for (let day = first.setZone(site.zone); day < first.plus({ days: 400 }); day = day.plus({ days: 1 })) {
        if (!site.weekdays.includes(day.weekday)) continue;
        for (let hour = site.open; hour < site.close; hour++) {
          const start = day.set({ hour });
          const id = `${site.id}-${start.toFormat("yyyyMMddHH")}`;
          slots.push({
            resourceType: "Slot",
            id,
            schedule: { reference: `Schedule/${site.id}-vaccination` },
            status: busy(id) ? "busy" : "free",
            start: wrongTypes ? start.toMillis() : start.toISO({ suppressMilliseconds: true }),
            end: start.plus({ hours: 1 }).toISO({ suppressMilliseconds: true }),
            extension: [
              { url: `${ext}/booking-deep-link`, valueUrl: `https://booking.example.se/vaccination/book?slot=${id}` },
              { url: `${ext}/booking-phone`, valueString: "010-000 00 00" },
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
        sites.map((s) => ({
          resourceType: "Location",
          id: s.id,
          name: s.name,
          address: { line: [s.line], city: s.city, state: s.state, country: "SE" },
        })),
      );
    }
    if (path === "/schedules.ndjson") {
      return ndjson(
        sites.map((s) => ({
          resourceType: "Schedule",
          id: `${s.id}-vaccination`,
          serviceType: [{ coding: [smartServiceType] }],
          actor: [{ reference: `Location/${s.id}` }],
        })),
      );
    }
    const slotFile = /^\/slots-([A-Z]+)\.ndjson$/.exec(path);
    if (slotFile) return ndjson(slotsFor(slotFile[1]!, wrongTypes));
    return undefined;
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
          ...[...new Set(sites.map((s) => s.state))].map((state) => ({
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
