import { randomUUID } from "node:crypto";
import type { Location, Schedule } from "@medplum/fhirtypes";
import { platformMeter } from "../../../../utilities/telemetry/meter.js";
import type { AdapterFactory, OpenSlot, ProviderAdapter, ProviderCatalog } from "../../adapter.js";
import { fetchText } from "../../private/fetch-json.js";
import { defaultNdjsonLimits, fetchNdjson, type NdjsonLimits } from "../../private/fetch-ndjson.js";
import { ProviderError } from "../../provider-error.js";
import { SlotIndex } from "./slot-index.js";

const timeZoneExtension = "http://hl7.org/fhir/StructureDefinition/timezone";

interface ManifestOutput {
  type: string;
  url: string;
  extension?: { state?: string[] };
}

interface Cached<T> {
  etag?: string;
  freshUntil: number;
  value: T;
}

interface Feed {
  locations: Location[];
  schedules: Schedule[];
  slots: SlotIndex[];
}

/**
 * SMART Scheduling Links (a read-only, deep-link provider). The base URL is
 * the publisher's; its `$bulk-publish` manifest lists Location, Schedule and
 * Slot NDJSON files. Every file is cached for its `Cache-Control: max-age` and
 * revalidated with `If-None-Match`, so a search costs nothing while the feed
 * is fresh and a 304 when it is unchanged. Slot files whose manifest `state`
 * extension matches none of `options.states` are never fetched.
 *
 * Large publishers' Slot files run to tens of megabytes: they are streamed a
 * line at a time into an index of free slots by schedule (slot-index.ts),
 * never held as text, and a search looks up its schedules' slots by binary
 * search. A file or a line past `options.maxFileBytes` / `maxLineBytes`
 * (default 512 MiB / 64 KiB) is a bad response.
 *
 * Clinic code = Location id; treatment code = a Schedule serviceType code.
 * There is no booking API: each slot carries its `booking-deep-link`, with
 * `source` (options.source, default "varden") and a fresh `booking-referral`,
 * as the specification describes, and its `booking-phone`; the patient books
 * there. A slot's `slot-capacity` is its places left (remainingCapacity).
 *
 * options: { states?: string[], source?: string, maxFileBytes?: number, maxLineBytes?: number }
 */
export const createSmartSchedulingLinksAdapter: AdapterFactory = (instance, fetchImpl = fetch): ProviderAdapter => {
  const manifestUrl = `${instance.baseUrl.replace(/\/$/, "")}/$bulk-publish`;
  const options = instance.options ?? {};
  const states = Array.isArray(options.states) ? (options.states as unknown[]).map(String) : undefined;
  const source = typeof options.source === "string" ? options.source : "varden";
  const limits: NdjsonLimits = {
    maxBytes: typeof options.maxFileBytes === "number" ? options.maxFileBytes : defaultNdjsonLimits.maxBytes,
    maxLineBytes: typeof options.maxLineBytes === "number" ? options.maxLineBytes : defaultNdjsonLimits.maxLineBytes,
  };
  const fail = (detail: string) => new ProviderError(instance.id, "bad-response", detail);
  const cache = new Map<string, Cached<unknown>>();
  const reading = new Map<string, Promise<unknown>>();
  const cacheLookups = platformMeter().createCounter("provider.cache.lookups", {
    description:
      "Feed documents by how they were served: hit (fresh), revalidated (304) or miss (fetched); hit ratio = (hit + revalidated) / all",
  });
  const looked = (result: "hit" | "revalidated" | "miss") => cacheLookups.add(1, { "provider.instance": instance.id, result });

  /**
   * A document, from cache while fresh, else revalidated or read anew by `read` (which gets the
   * request's headers and answers the status, headers and value). Concurrent searches share one read.
   */
  function cached<T>(
    url: string,
    read: (headers: Record<string, string>) => Promise<{ status: number; headers: Headers; value?: T }>,
  ): Promise<T> {
    const known = cache.get(url) as Cached<T> | undefined;
    if (known && Date.now() < known.freshUntil) {
      looked("hit");
      return Promise.resolve(known.value);
    }
    const running = reading.get(url) as Promise<T> | undefined;
    if (running) return running;
    const headers = { accept: "application/json, application/fhir+ndjson", ...(known?.etag ? { "if-none-match": known.etag } : {}) };
    const fresh = read(headers)
      .then((response) => {
        const freshUntil = Date.now() + maxAgeSeconds(response.headers.get("cache-control")) * 1000;
        if (response.status === 304 && known) {
          looked("revalidated");
          known.freshUntil = freshUntil;
          return known.value;
        }
        if (response.value === undefined) throw fail(`HTTP ${response.status} without a body for a document not cached`);
        looked("miss");
        cache.set(url, { etag: response.headers.get("etag") ?? undefined, freshUntil, value: response.value });
        return response.value;
      })
      .finally(() => reading.delete(url));
    reading.set(url, fresh);
    return fresh;
  }

  const manifest = (signal: AbortSignal) =>
    cached(manifestUrl, async (headers) => {
      const response = await fetchText(instance.id, manifestUrl, { headers, signal, template: "/$bulk-publish" }, fetchImpl);
      return { ...response, value: response.status === 304 ? undefined : readManifest(response.text, fail) };
    });

  /** A Location or Schedule file: small, read as whole resources (but still a line at a time). */
  const resources = <T>(output: ManifestOutput, signal: AbortSignal) =>
    cached<T[]>(output.url, async (headers) => {
      const found: T[] = [];
      const response = await fetchNdjson(
        instance.id,
        output.url,
        { headers, signal, template: `{${output.type} file}` },
        (line, number) => found.push(readResource(line, number, output.type, fail) as T),
        fetchImpl,
        limits,
      );
      return { ...response, value: response.status === 304 ? undefined : found };
    });

  const slotFile = (output: ManifestOutput, signal: AbortSignal) =>
    cached<SlotIndex>(output.url, async (headers) => {
      const index = new SlotIndex();
      const response = await fetchNdjson(
        instance.id,
        output.url,
        { headers, signal, template: "{Slot file}" },
        (line, number) => index.add(line, number, fail),
        fetchImpl,
        limits,
      );
      return { ...response, value: response.status === 304 ? undefined : index.seal() };
    });

  async function feed(signal: AbortSignal): Promise<Feed> {
    const outputs = await manifest(signal);
    const wanted = outputs.filter(
      (o) => o.type !== "Slot" || !states || !o.extension?.state || o.extension.state.some((s) => states.includes(s)),
    );
    const [locations, schedules, slots] = await Promise.all([
      Promise.all(wanted.filter((o) => o.type === "Location").map((o) => resources<Location>(o, signal))),
      Promise.all(wanted.filter((o) => o.type === "Schedule").map((o) => resources<Schedule>(o, signal))),
      Promise.all(wanted.filter((o) => o.type === "Slot").map((o) => slotFile(o, signal))),
    ]);
    return { locations: locations.flat(), schedules: schedules.flat(), slots };
  }

  const offers = (schedule: Schedule, treatmentCode: string) =>
    schedule.serviceType?.some((t) => t.coding?.some((c) => c.code === treatmentCode || `${c.system}|${c.code}` === treatmentCode)) ??
    false;

  return {
    capabilities: { supportsHold: false, bookingMode: "deep-link", asyncWrite: false, pushChanges: false, catalog: true },

    // The feed's documents are fresh for their max-age: an answer made of them is fresh until the first of them goes stale.
    freshForMs() {
      const freshUntil = [...cache.values()].map((document) => document.freshUntil);
      return freshUntil.length > 0 ? Math.max(0, Math.min(...freshUntil) - Date.now()) : undefined;
    },

    async findOpenSlots(query, signal) {
      const { schedules, slots } = await feed(signal);
      const references = schedules
        .filter((s) => s.actor?.some((a) => a.reference === `Location/${query.clinicCode}`) && offers(s, query.treatmentCode))
        .map((s) => `Schedule/${s.id}`);
      const open: OpenSlot[] = [];
      for (const index of slots) {
        for (const reference of references) {
          for (const slot of index.between(reference, query.window.start.getTime(), query.window.end.getTime())) {
            open.push({
              providerSlotId: slot.id,
              start: new Date(slot.start),
              end: new Date(slot.end),
              practitionerCode: "",
              practitionerName: "",
              ...(slot.bookingLink ? { bookingLink: withReferral(slot.bookingLink, source) } : {}),
              ...(slot.bookingPhone ? { bookingPhone: slot.bookingPhone } : {}),
              ...(slot.capacity !== undefined ? { remainingCapacity: slot.capacity } : {}),
            });
          }
        }
      }
      return open.sort((a, b) => a.start.getTime() - b.start.getTime() || a.providerSlotId.localeCompare(b.providerSlotId));
    },

    async listCatalog(signal) {
      const { locations, schedules, slots } = await feed(signal);
      const treatments = new Map<string, ProviderCatalog["treatments"][number] & { schedules: string[] }>();
      for (const schedule of schedules) {
        const clinic = schedule.actor?.find((a) => a.reference?.startsWith("Location/"))?.reference?.slice("Location/".length) ?? "";
        for (const coding of schedule.serviceType?.flatMap((t) => t.coding ?? []) ?? []) {
          if (!coding.code) continue;
          const known = treatments.get(coding.code) ?? {
            code: coding.code,
            name: coding.display ?? coding.code,
            durationMinutes: 0,
            clinicCodes: [],
            schedules: [],
          };
          if (!known.clinicCodes.includes(clinic)) known.clinicCodes.push(clinic);
          known.schedules.push(`Schedule/${schedule.id}`);
          treatments.set(coding.code, known);
        }
      }
      return {
        clinics: locations.map((l) => {
          const phone = l.telecom?.find((t) => t.system === "phone")?.value;
          const website = l.telecom?.find((t) => t.system === "url")?.value;
          return {
            code: l.id!,
            name: l.name ?? "",
            city: l.address?.city ?? "",
            address: [...(l.address?.line ?? []), [l.address?.postalCode, l.address?.city].filter(Boolean).join(" ")]
              .filter(Boolean)
              .join(", "),
            timeZone: l.extension?.find((e) => e.url === timeZoneExtension)?.valueCode ?? instance.timeZone,
            ...(phone ? { phone } : {}),
            ...(website ? { website } : {}),
          };
        }),
        // A treatment lasts what most of its slots last; the feed says nothing else about it.
        treatments: [...treatments.values()].map(({ schedules: refs, ...t }) => ({
          ...t,
          durationMinutes: Math.max(0, ...slots.map((index) => index.usualMinutes(refs))),
        })),
        practitioners: [],
      };
    },
  };
};

function withReferral(link: string, source: string): string {
  const url = new URL(link);
  url.searchParams.set("source", source);
  url.searchParams.set("booking-referral", randomUUID());
  return url.toString();
}

function maxAgeSeconds(cacheControl: string | null): number {
  const match = /(?:^|,)\s*max-age=(\d+)/i.exec(cacheControl ?? "");
  return match ? Number(match[1]) : 0;
}

function readManifest(text: string, fail: (detail: string) => ProviderError): ManifestOutput[] {
  let manifest: { output?: unknown };
  try {
    manifest = JSON.parse(text) as { output?: unknown };
  } catch {
    throw fail("the $bulk-publish manifest is not JSON");
  }
  if (!Array.isArray(manifest?.output)) throw fail("the manifest has no output list");
  return manifest.output.map((o: Partial<ManifestOutput>) => {
    if (typeof o?.type !== "string" || typeof o.url !== "string" || !/^https?:\/\//.test(o.url))
      throw fail("a manifest output without type or http(s) url");
    return { type: o.type, url: o.url, extension: o.extension };
  });
}

function readResource(line: string, lineNumber: number, type: string, fail: (detail: string) => ProviderError): unknown {
  let resource: Record<string, unknown>;
  try {
    resource = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw fail(`line ${lineNumber} of a ${type} file is not JSON`);
  }
  if (resource?.resourceType !== type || typeof resource.id !== "string") throw fail(`line ${lineNumber} is not a ${type} with an id`);
  return resource;
}
