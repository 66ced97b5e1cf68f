import { randomUUID } from "node:crypto";
import type { Appointment, Bundle, BundleEntry, Identifier, Reference, Resource, Schedule, Slot } from "@medplum/fhirtypes";
import { DateTime } from "luxon";
import { FhirFailure, type ResourceStore, type Stored } from "./resource-store.js";
import { locationOf, type SlotCalendar } from "./slot-calendar.js";

/** Matches one resource against one value of a search parameter (commas inside it mean "or"). */
type Matcher = (resource: Resource, value: string) => boolean;

const defaultCount = 20;
const maxCount = 100;
const pageLifetimeMs = 10 * 60_000;
/** The longest stretch of time one Slot search may span: a server's limit on what one query may cost. */
export const maxSlotSearchDays = 62;

const any = (value: string, test: (one: string) => boolean) => value.split(",").some(test);

const reference =
  (refs: (r: Resource) => Array<Reference | undefined> | undefined): Matcher =>
  (resource, value) =>
    any(value, (wanted) =>
      (refs(resource) ?? []).some((r) => r?.reference === wanted || (!wanted.includes("/") && r?.reference?.endsWith(`/${wanted}`))),
    );

/** Token search: `system|code`, `|code` (no system) or `code` (any system). */
const token =
  (codes: (r: Resource) => Array<{ system?: string; code?: string } | undefined> | undefined): Matcher =>
  (resource, value) =>
    any(value, (wanted) => {
      const [system, code] = wanted.includes("|") ? wanted.split("|", 2) : [undefined, wanted];
      return (codes(resource) ?? []).some(
        (c) => c?.code === code && (system === undefined || (system === "" ? !c.system : c.system === system)),
      );
    });

/** Date search with the prefixes eq, ne, gt, ge, lt, le (eq when none), against an instant. */
const date =
  (instant: (r: Resource) => string | undefined): Matcher =>
  (resource, value) =>
    any(value, (wanted) => {
      const at = instant(resource);
      const { prefix, bound } = readDate(wanted);
      if (!at) return false;
      const t = DateTime.fromISO(at).toMillis();
      const b = bound.toMillis();
      return { eq: t === b, ne: t !== b, gt: t > b, ge: t >= b, lt: t < b, le: t <= b }[prefix];
    });

const identifiers = (r: Resource) =>
  ((r as { identifier?: Identifier[] }).identifier ?? []).map((i) => ({ system: i.system, code: i.value }));
const byId: Matcher = (resource, value) => any(value, (id) => resource.id === id);

/** The search parameters this server supports, by resource type; FHIR says to ignore others unless told to be strict. */
const parameters: Record<string, Record<string, Matcher>> = {
  Location: { _id: byId },
  Practitioner: { _id: byId },
  Schedule: {
    _id: byId,
    actor: reference((r) => (r as Schedule).actor),
    "service-type": token((r) => (r as Schedule).serviceType?.flatMap((t) => t.coding ?? [])),
    active: (r, value) => any(value, (v) => String((r as Schedule).active ?? true) === v),
  },
  Slot: {
    _id: byId,
    schedule: reference((r) => [(r as Slot).schedule]),
    status: token((r) => [{ code: (r as Slot).status }]),
    start: date((r) => (r as Slot).start),
    "service-type": token((r) => (r as Slot).serviceType?.flatMap((t) => t.coding ?? [])),
  },
  Appointment: {
    _id: byId,
    identifier: token(identifiers),
    slot: reference((r) => (r as Appointment).slot),
    status: token((r) => [{ code: (r as Appointment).status }]),
    date: date((r) => (r as Appointment).start),
  },
};

/** `_include` values this server follows: the source type, the reference element, the resources it points to. */
const includes: Record<string, (r: Resource) => Array<Reference | undefined> | undefined> = {
  "Schedule:actor": (r) => (r as Schedule).actor,
  "Slot:schedule": (r) => [(r as Slot).schedule],
  "Appointment:slot": (r) => (r as Appointment).slot,
};

const controls = new Set(["_count", "_include", "_format"]);

interface Paged {
  created: number;
  matches: Stored[];
  include: string[];
  count: number;
}

/**
 * Search as a generic FHIR server does it: searchset Bundles of `_count`
 * entries (at most 100), the rest behind opaque `next` links to a snapshot
 * taken at the first page (so the pages of one search agree even while the
 * data change), `_include` of referenced resources, and unknown parameters
 * ignored (the self link shows which were used) unless the client sends
 * `Prefer: handling=strict`. Results come in the order they are stored in,
 * not sorted.
 */
export class SearchEngine {
  private readonly paged = new Map<string, Paged>();

  constructor(
    private readonly store: ResourceStore,
    private readonly calendar: SlotCalendar,
    private readonly base: () => string,
  ) {}

  search(type: string, query: URLSearchParams, strict: boolean): Bundle {
    const supported = parameters[type];
    if (!supported) throw new FhirFailure(404, "not-supported", `resource type ${type} is not supported`);
    const used = new URLSearchParams();
    const criteria: Array<[Matcher, string]> = [];
    for (const [name, value] of query) {
      const matcher = supported[name];
      if (matcher) {
        criteria.push([matcher, value]);
        used.append(name, value);
      } else if (controls.has(name)) {
        if (name !== "_format") used.append(name, value);
      } else if (strict) {
        throw new FhirFailure(400, "not-supported", `unknown search parameter ${name} for ${type}`);
      }
    }
    if (type === "Slot") this.materialise(query);
    const matches = this.store.all(type as Resource["resourceType"]).filter((r) => criteria.every(([match, value]) => match(r, value)));
    const include = query.getAll("_include").filter((i) => {
      const known = includes[i.split(":").slice(0, 2).join(":")] !== undefined && i.startsWith(`${type}:`);
      if (!known && strict) throw new FhirFailure(400, "not-supported", `_include=${i} is not supported`);
      return known;
    });
    const count = Math.min(Math.max(1, Number(query.get("_count") ?? defaultCount) || defaultCount), maxCount);
    const id = randomUUID();
    this.forgetOldPages();
    this.paged.set(id, { created: Date.now(), matches, include, count });
    return this.bundle(id, 0, `${this.base()}/${type}?${used}`);
  }

  /** A later page of an earlier search (the `next` link's target). */
  page(query: URLSearchParams): Bundle {
    const id = query.get("_getpages") ?? "";
    if (!this.paged.has(id)) throw new FhirFailure(410, "not-found", `search ${id} has expired or never existed; search again`);
    return this.bundle(id, Math.max(0, Number(query.get("_getpagesoffset") ?? 0) || 0));
  }

  private bundle(id: string, offset: number, self?: string): Bundle {
    const { matches, include, count } = this.paged.get(id)!;
    const page = matches.slice(offset, offset + count);
    const pageUrl = (at: number) => `${this.base()}?_getpages=${id}&_getpagesoffset=${at}&_count=${count}&_bundletype=searchset`;
    const link: Bundle["link"] = [{ relation: "self", url: self ?? pageUrl(offset) }];
    if (offset + count < matches.length) link.push({ relation: "next", url: pageUrl(offset + count) });
    if (offset > 0) link.push({ relation: "previous", url: pageUrl(Math.max(0, offset - count)) });
    const included = new Map<string, Resource>();
    for (const spec of include) {
      const [, , targetType] = spec.split(":");
      for (const resource of page) {
        for (const ref of includes[spec.split(":").slice(0, 2).join(":")]!(resource) ?? []) {
          const [refType, refId] = ref?.reference?.split("/") ?? [];
          if (!refType || !refId || (targetType && refType !== targetType)) continue;
          const target = this.store.read(refType as Resource["resourceType"], refId);
          if (target) included.set(`${refType}/${refId}`, target);
        }
      }
    }
    const entry = (resource: Resource, mode: "match" | "include"): BundleEntry => ({
      fullUrl: `${this.base()}/${resource.resourceType}/${resource.id}`,
      resource,
      search: { mode },
    });
    return {
      resourceType: "Bundle",
      id: randomUUID(),
      meta: { lastUpdated: new Date().toISOString() },
      type: "searchset",
      ...(offset === 0 ? { total: matches.length } : {}),
      link,
      entry: [...page.map((r) => entry(r, "match")), ...[...included.values()].map((r) => entry(r, "include"))],
    };
  }

  /**
   * The days a Slot search touches get their slots before it runs. Without
   * both a lower and an upper bound on `start` nothing is materialised: only
   * what is stored already can match.
   */
  private materialise(query: URLSearchParams): void {
    const bounds = query
      .getAll("start")
      .flatMap((v) => v.split(","))
      .map(readDate);
    const from = bounds.filter((b) => b.prefix === "ge" || b.prefix === "gt" || b.prefix === "eq").map((b) => b.bound);
    const to = bounds.filter((b) => b.prefix === "lt" || b.prefix === "le" || b.prefix === "eq").map((b) => b.bound);
    if (!from.length || !to.length) return;
    const start = DateTime.max(...from)!;
    const end = DateTime.min(...to)!.plus({ milliseconds: 1 });
    if (end.diff(start, "days").days > maxSlotSearchDays) {
      throw new FhirFailure(400, "too-costly", `a Slot search may span at most ${maxSlotSearchDays} days`);
    }
    const schedules = query.getAll("schedule").flatMap((v) => v.split(","));
    const locationIds = schedules.length
      ? schedules
          .map((ref) => this.store.read<Schedule>("Schedule", ref.replace(/^Schedule\//, "")))
          .map((s) => (s ? locationOf(s) : undefined))
      : this.store.all<Schedule>("Schedule").map(locationOf);
    for (const locationId of new Set(locationIds)) if (locationId) this.calendar.ensure(locationId, start, end);
  }

  private forgetOldPages(): void {
    const now = Date.now();
    for (const [id, paged] of this.paged) if (now - paged.created > pageLifetimeMs || this.paged.size > 1000) this.paged.delete(id);
  }
}

function readDate(value: string): { prefix: "eq" | "ne" | "gt" | "ge" | "lt" | "le"; bound: DateTime } {
  const match = /^(eq|ne|gt|ge|lt|le)?(.+)$/.exec(value);
  const bound = DateTime.fromISO(match?.[2] ?? "", { zone: "utc" });
  if (!match || !bound.isValid) throw new FhirFailure(400, "invalid", `not a date search value: ${value}`);
  return { prefix: (match[1] ?? "eq") as "eq", bound };
}
