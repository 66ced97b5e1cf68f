import { randomUUID } from "node:crypto";
import type { Bundle, BundleEntry, Resource } from "@medplum/fhirtypes";
import { FhirFailure, type ResourceStore, type Stored, versionFromETag } from "./resource-store.js";

export interface TransactionDeps {
  store: ResourceStore;
  /** Refuses a resource the server would not store (FhirFailure), as create and update do. */
  validate(resource: Resource): void;
  /** Creates the slots a reference may name before it is checked. */
  prepareRead(type: string, id: string): void;
}

/** The order FHIR processes a transaction's entries in, whatever order they come in. */
const order: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

/**
 * A `transaction` Bundle (POST to the base URL): every entry succeeds or none
 * does. POSTed resources get their ids first and references to their
 * `urn:uuid:` fullUrls are rewritten; a PUT entry's `request.ifMatch` is
 * checked like an If-Match header, and one stale version fails the whole
 * transaction with 412. The answer is a `transaction-response` Bundle, whose
 * entries carry the resources only when the client asked for
 * `Prefer: return=representation`.
 */
export function processTransaction(bundle: Bundle, deps: TransactionDeps, returnRepresentation: boolean): Bundle {
  if (bundle.type !== "transaction") {
    throw new FhirFailure(400, "not-supported", `a Bundle of type ${bundle.type} cannot be processed here; send a transaction`);
  }
  const entries = (bundle.entry ?? []).map((entry, index) => ({ entry, index, method: entry.request?.method ?? "" }));
  for (const { entry, method } of entries) {
    if (!(method in order) || !entry.request?.url)
      throw new FhirFailure(400, "invalid", "every entry needs request.method and request.url");
  }
  const assigned = new Map<string, string>();
  for (const { entry, method } of entries) {
    if (method !== "POST") continue;
    if (!entry.resource) throw new FhirFailure(400, "invalid", "a POST entry needs a resource");
    const reference = `${entry.resource.resourceType}/${randomUUID()}`;
    if (entry.fullUrl) assigned.set(entry.fullUrl, reference);
    entry.resource = { ...entry.resource, id: reference.split("/")[1] };
  }
  for (const { entry } of entries) if (entry.resource) entry.resource = rewriteReferences(entry.resource, assigned);

  const snapshot = deps.store.snapshot();
  const results: Array<{ index: number; response: BundleEntry }> = [];
  try {
    for (const { entry, index, method } of [...entries].sort((a, b) => order[a.method]! - order[b.method]!)) {
      const [type, id] = entry.request!.url!.split("?")[0]!.split("/");
      let stored: Stored;
      let status: string;
      if (method === "POST") {
        deps.validate(entry.resource!);
        stored = deps.store.seed(entry.resource as Resource & { id: string });
        status = "201 Created";
      } else if (method === "PUT") {
        if (!entry.resource || entry.resource.resourceType !== type || entry.resource.id !== id) {
          throw new FhirFailure(400, "invalid", `the resource of PUT ${entry.request!.url} must be ${type}/${id}`);
        }
        deps.prepareRead(type!, id!);
        deps.validate(entry.resource);
        stored = deps.store.update(entry.resource as Resource & { id: string }, versionFromETag(entry.request!.ifMatch));
        status = "200 OK";
      } else if (method === "GET" || method === "HEAD") {
        deps.prepareRead(type!, id ?? "");
        const found = id ? deps.store.read(type as Resource["resourceType"], id) : undefined;
        if (!found) throw new FhirFailure(404, "not-found", `${entry.request!.url} is not known`);
        stored = found;
        status = "200 OK";
      } else {
        throw new FhirFailure(405, "not-supported", `${method} is not supported in a transaction here`);
      }
      results.push({
        index,
        response: {
          ...(returnRepresentation || method === "GET" ? { resource: stored } : {}),
          response: {
            status,
            location: `${stored.resourceType}/${stored.id}/_history/${stored.meta.versionId}`,
            etag: `W/"${stored.meta.versionId}"`,
            lastModified: stored.meta.lastUpdated,
          },
        },
      });
    }
  } catch (error) {
    deps.store.restore(snapshot);
    throw error;
  }
  return {
    resourceType: "Bundle",
    id: randomUUID(),
    type: "transaction-response",
    entry: results.sort((a, b) => a.index - b.index).map((r) => r.response),
  };
}

function rewriteReferences<T>(value: T, assigned: Map<string, string>): T {
  if (Array.isArray(value)) return value.map((v) => rewriteReferences(v, assigned)) as T;
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      key === "reference" && typeof v === "string" && assigned.has(v) ? assigned.get(v) : rewriteReferences(v, assigned),
    ]),
  ) as T;
}
