import type { Bundle, BundleEntry, CapabilityStatement, Parameters, Resource } from "@medplum/fhirtypes";
import type { ProviderInstanceConfig } from "../../adapter.js";
import { fetchJson } from "../../private/fetch-json.js";
import { ProviderError } from "../../provider-error.js";

/** A resource as read from the server, with the version an update must name (If-Match). */
export type Versioned<T extends Resource> = T & { id: string; meta: { versionId: string } };

/** Answered when an update or transaction found a version other than the one it named (412), or a conflict (409). */
export const conflict = Symbol("conflict");

const maxPages = 50;

/**
 * The FHIR REST interactions the adapter uses, over fetch-json (so every
 * request is a span named by its URL template and every failure a
 * ProviderError): read, search across `next` pages with `_include`, create,
 * versioned update, transaction, and operations. It trusts nothing: a Bundle
 * must be a Bundle, a next link must stay on the server, a read resource must
 * say its version.
 */
export function createFhirClient(instance: ProviderInstanceConfig, fetchImpl: typeof fetch) {
  const base = instance.baseUrl.replace(/\/$/, "");
  const origin = new URL(base).origin;
  const headers = { authorization: `Bearer ${instance.apiKey ?? ""}`, accept: "application/fhir+json" };
  const writing = { ...headers, "content-type": "application/fhir+json" };
  const fail = (detail: string) => new ProviderError(instance.id, "bad-response", detail);

  function versioned<T extends Resource>(body: unknown, type: T["resourceType"], etag: string | null): Versioned<T> {
    const resource = body as T | null;
    if (resource?.resourceType !== type || typeof resource.id !== "string") throw fail(`expected a ${type}, got ${typeName(body)}`);
    const versionId = resource.meta?.versionId ?? /^(?:W\/)?"([^"]+)"$/.exec(etag ?? "")?.[1];
    if (!versionId) throw fail(`${type}/${resource.id} came without a version (meta.versionId or ETag): it cannot be updated safely`);
    return { ...resource, meta: { ...resource.meta, versionId } } as Versioned<T>;
  }

  return {
    base,
    fail,

    async capabilityStatement(signal: AbortSignal): Promise<CapabilityStatement> {
      const { body } = await fetchJson(instance.id, `${base}/metadata`, { headers, signal, template: "/metadata" }, fetchImpl);
      if ((body as Resource | null)?.resourceType !== "CapabilityStatement")
        throw fail(`expected a CapabilityStatement, got ${typeName(body)}`);
      return body as CapabilityStatement;
    },

    async read<T extends Resource>(type: T["resourceType"], id: string, signal: AbortSignal): Promise<Versioned<T>> {
      const { body, headers: answered } = await fetchJson(
        instance.id,
        `${base}/${type}/${encodeURIComponent(id)}`,
        { headers, signal, template: `/${type}/{id}` },
        fetchImpl,
      );
      return versioned<T>(body, type, answered.get("etag"));
    },

    /** Every match of a search across its pages (or the first page only), and what `_include` brought along. */
    async search<T extends Resource>(
      type: T["resourceType"],
      params: Array<[string, string]>,
      signal: AbortSignal,
      options: { firstPageOnly?: boolean } = {},
    ): Promise<{ matches: T[]; included: Resource[] }> {
      const matches: T[] = [];
      const included: Resource[] = [];
      let next: string | undefined = `${base}/${type}?${new URLSearchParams(params)}`;
      for (let page = 1; next; page++) {
        if (page > maxPages) throw fail(`more than ${maxPages} pages of ${type}`);
        const { body } = await fetchJson(instance.id, next, { headers, signal, template: `/${type}` }, fetchImpl);
        const bundle = readBundle(body);
        for (const entry of bundle.entry ?? []) {
          const resource = entry?.resource;
          if (entry?.search?.mode === "outcome" || resource?.resourceType === "OperationOutcome") continue;
          if (entry?.search?.mode === "include") {
            if (resource) included.push(resource);
          } else if (resource?.resourceType === type) matches.push(resource as T);
          else throw fail(`expected ${type} entries, got ${typeName(resource)}`);
        }
        next = options.firstPageOnly ? undefined : bundle.link?.find((l) => l.relation === "next")?.url;
        if (next && new URL(next, base).origin !== origin) throw fail(`a next link leaves the server: ${new URL(next, base).origin}`);
        if (next) next = new URL(next, base).toString();
      }
      return { matches, included };
    },

    async create<T extends Resource>(resource: T, signal: AbortSignal): Promise<Versioned<T>> {
      const { body, headers: answered } = await fetchJson(
        instance.id,
        `${base}/${resource.resourceType}`,
        {
          method: "POST",
          headers: { ...writing, prefer: "return=representation" },
          body: JSON.stringify(resource),
          signal,
          template: `/${resource.resourceType}`,
        },
        fetchImpl,
      );
      return versioned<T>(body, resource.resourceType, answered.get("etag"));
    },

    /** A new version of a resource, only if the server still has `version`: the optimistic lock every claim rests on. */
    async update<T extends Resource & { id: string }>(
      resource: T,
      version: string,
      signal: AbortSignal,
    ): Promise<Versioned<T> | typeof conflict> {
      const {
        status,
        body,
        headers: answered,
      } = await fetchJson(
        instance.id,
        `${base}/${resource.resourceType}/${encodeURIComponent(resource.id)}`,
        {
          method: "PUT",
          headers: { ...writing, prefer: "return=representation", "if-match": `W/"${version}"` },
          body: JSON.stringify(withoutMeta(resource)),
          signal,
          template: `/${resource.resourceType}/{id}`,
          accept: [409, 412],
        },
        fetchImpl,
      );
      if (status === 409 || status === 412) return conflict;
      return versioned<T>(body, resource.resourceType, answered.get("etag"));
    },

    /** A transaction Bundle: all its entries or none. A stale version anywhere (412) or a conflict (409) is `conflict`. */
    async transaction(entries: BundleEntry[], signal: AbortSignal): Promise<Bundle | typeof conflict> {
      const { status, body } = await fetchJson(
        instance.id,
        base,
        {
          method: "POST",
          headers: writing,
          body: JSON.stringify({
            resourceType: "Bundle",
            type: "transaction",
            entry: entries.map((e) => (e.resource ? { ...e, resource: withoutMeta(e.resource) } : e)),
          }),
          signal,
          template: "/",
          accept: [409, 412],
        },
        fetchImpl,
      );
      if (status === 409 || status === 412) return conflict;
      const bundle = readBundle(body);
      if (bundle.type !== "transaction-response" || (bundle.entry?.length ?? 0) !== entries.length) {
        throw fail("expected a transaction-response with one entry per request");
      }
      return bundle;
    },

    /**
     * A type-level operation on Appointment (`$find` by GET, others by POST
     * with Parameters). 4xx answers in `refusals` come back for the caller
     * to read (an operation's refusal is an OperationOutcome, not a fault).
     */
    async operation(
      name: string,
      input: { query: Array<[string, string]> } | { parameters: Parameters },
      signal: AbortSignal,
      refusals: number[] = [],
    ): Promise<{ status: number; body: unknown }> {
      const url = `${base}/Appointment/${name}`;
      const template = `/Appointment/${name}`;
      const { status, body } =
        "query" in input
          ? await fetchJson(
              instance.id,
              `${url}?${new URLSearchParams(input.query)}`,
              { headers, signal, template, accept: refusals },
              fetchImpl,
            )
          : await fetchJson(
              instance.id,
              url,
              { method: "POST", headers: writing, body: JSON.stringify(input.parameters), signal, template, accept: refusals },
              fetchImpl,
            );
      return { status, body };
    },
  };

  function readBundle(body: unknown): Bundle {
    const bundle = body as Bundle | null;
    if (bundle?.resourceType !== "Bundle") throw fail(`expected a Bundle, got ${typeName(body)}`);
    if (bundle.entry !== undefined && !Array.isArray(bundle.entry)) throw fail("Bundle.entry is not a list");
    return bundle;
  }
}

export type FhirClient = ReturnType<typeof createFhirClient>;

/** The server keeps meta; a client sending it back only invites confusion about versions. */
function withoutMeta<T extends Resource>(resource: T): T {
  const { meta: _meta, ...rest } = resource;
  return rest as T;
}

export function typeName(value: unknown): string {
  return typeof value === "object" && value !== null && "resourceType" in value
    ? String((value as { resourceType: unknown }).resourceType)
    : typeof value;
}
