import { randomUUID } from "node:crypto";
import type { Location, Schedule, Slot } from "@medplum/fhirtypes";
import { platformMeter } from "../../../../utilities/telemetry/meter.js";
import type { AdapterFactory, OpenSlot, ProviderAdapter, ProviderCatalog } from "../../adapter.js";
import { fetchText } from "../../private/fetch-json.js";
import { ProviderError } from "../../provider-error.js";

const deepLinkExtension = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link";

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
  slots: Slot[];
}

/**
 * SMART Scheduling Links (a read-only, deep-link provider). The base URL is
 * the publisher's; its `$bulk-publish` manifest lists Location, Schedule and
 * Slot NDJSON files. Every file is cached for its `Cache-Control: max-age` and
 * revalidated with `If-None-Match`, so a search costs nothing while the feed
 * is fresh and a 304 when it is unchanged. Slot files whose manifest `state`
 * extension matches none of `options.states` are never fetched.
 *
 * Clinic code = Location id; treatment code = a Schedule serviceType code.
 * There is no booking API: each slot carries its `booking-deep-link`, with
 * `source` (options.source, default "varden") and a fresh `booking-referral`,
 * as the specification describes, and the patient books there.
 *
 * options: { states?: string[], source?: string }
 */
export const createSmartSchedulingLinksAdapter: AdapterFactory = (instance, fetchImpl = fetch): ProviderAdapter => {
  const manifestUrl = `${instance.baseUrl.replace(/\/$/, "")}/$bulk-publish`;
  const states = Array.isArray(instance.options?.states) ? (instance.options.states as unknown[]).map(String) : undefined;
  const source = typeof instance.options?.source === "string" ? instance.options.source : "varden";
  const fail = (detail: string) => new ProviderError(instance.id, "bad-response", detail);
  const cache = new Map<string, Cached<unknown>>();
  const cacheLookups = platformMeter().createCounter("provider.cache.lookups", {
    description:
      "Feed documents by how they were served: hit (fresh), revalidated (304) or miss (fetched); hit ratio = (hit + revalidated) / all",
  });
  const looked = (result: "hit" | "revalidated" | "miss") => cacheLookups.add(1, { "provider.instance": instance.id, result });

  /** A document, from cache while fresh, else revalidated or fetched anew. */
  async function cached<T>(url: string, template: string, parse: (text: string) => T, signal: AbortSignal): Promise<T> {
    const known = cache.get(url) as Cached<T> | undefined;
    if (known && Date.now() < known.freshUntil) {
      looked("hit");
      return known.value;
    }
    const response = await fetchText(
      instance.id,
      url,
      {
        headers: { accept: "application/json, application/fhir+ndjson", ...(known?.etag ? { "if-none-match": known.etag } : {}) },
        signal,
        template,
      },
      fetchImpl,
    );
    const freshUntil = Date.now() + maxAgeSeconds(response.headers.get("cache-control")) * 1000;
    if (response.status === 304 && known) {
      looked("revalidated");
      known.freshUntil = freshUntil;
      return known.value;
    }
    looked("miss");
    const value = parse(response.text);
    cache.set(url, { etag: response.headers.get("etag") ?? undefined, freshUntil, value });
    return value;
  }

  async function feed(signal: AbortSignal): Promise<Feed> {
    const outputs = await cached(manifestUrl, "/$bulk-publish", (text) => readManifest(text, fail), signal);
    const wanted = outputs.filter(
      (o) => o.type !== "Slot" || !states || !o.extension?.state || o.extension.state.some((s) => states.includes(s)),
    );
    const files = await Promise.all(
      wanted.map((o) =>
        cached(o.url, `{${o.type} file}`, (text) => readNdjson(text, o.type, fail), signal).then((resources) => ({
          type: o.type,
          resources,
        })),
      ),
    );
    const of = <T>(type: string) => files.filter((f) => f.type === type).flatMap((f) => f.resources) as T[];
    return { locations: of<Location>("Location"), schedules: of<Schedule>("Schedule"), slots: of<Slot>("Slot") };
  }

  return {
    capabilities: { supportsHold: false, bookingMode: "deep-link", asyncWrite: false, pushChanges: false, catalog: true },

    async findOpenSlots(query, signal) {
      const { schedules, slots } = await feed(signal);
      const scheduleRefs = new Set(
        schedules
          .filter((s) => s.actor?.some((a) => a.reference === `Location/${query.clinicCode}`))
          .filter((s) =>
            s.serviceType?.some((t) =>
              t.coding?.some((c) => c.code === query.treatmentCode || `${c.system}|${c.code}` === query.treatmentCode),
            ),
          )
          .map((s) => `Schedule/${s.id}`),
      );
      const open: OpenSlot[] = [];
      for (const slot of slots) {
        if (slot.status !== "free" || !scheduleRefs.has(slot.schedule?.reference ?? "")) continue;
        const start = new Date(slot.start);
        if (start < query.window.start || start >= query.window.end) continue;
        const link = slot.extension?.find((e) => e.url === deepLinkExtension)?.valueUrl;
        open.push({
          providerSlotId: slot.id!,
          start,
          end: new Date(slot.end),
          practitionerCode: "",
          practitionerName: "",
          bookingLink: link ? withReferral(link, source) : undefined,
        });
      }
      return open;
    },

    async listCatalog(signal) {
      const { locations, schedules } = await feed(signal);
      const treatments = new Map<string, ProviderCatalog["treatments"][number]>();
      for (const schedule of schedules) {
        const clinic = schedule.actor?.find((a) => a.reference?.startsWith("Location/"))?.reference?.slice("Location/".length) ?? "";
        for (const coding of schedule.serviceType?.flatMap((t) => t.coding ?? []) ?? []) {
          if (!coding.code) continue;
          const known = treatments.get(coding.code) ?? {
            code: coding.code,
            name: coding.display ?? coding.code,
            durationMinutes: 60,
            clinicCodes: [],
          };
          if (!known.clinicCodes.includes(clinic)) known.clinicCodes.push(clinic);
          treatments.set(coding.code, known);
        }
      }
      return {
        clinics: locations.map((l) => ({
          code: l.id!,
          name: l.name ?? "",
          city: l.address?.city ?? "",
          address: (l.address?.line ?? []).join(", "),
          timeZone: instance.timeZone,
        })),
        treatments: [...treatments.values()],
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

function readNdjson(text: string, type: string, fail: (detail: string) => ProviderError): unknown[] {
  const resources: unknown[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    if (!line.trim()) continue;
    let resource: Record<string, unknown>;
    try {
      resource = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw fail(`line ${index + 1} of a ${type} file is not JSON`);
    }
    if (resource.resourceType !== type || typeof resource.id !== "string") throw fail(`line ${index + 1} is not a ${type} with an id`);
    if (
      type === "Slot" &&
      (typeof resource.start !== "string" ||
        typeof resource.end !== "string" ||
        Number.isNaN(Date.parse(resource.start)) ||
        Number.isNaN(Date.parse(resource.end)))
    ) {
      throw fail(`Slot/${resource.id} has no readable start and end`);
    }
    resources.push(resource);
  }
  return resources;
}
