import { randomUUID } from "node:crypto";
import type { Resource } from "@medplum/fhirtypes";

/** A failed interaction, answered as an OperationOutcome with this status and issue code. */
export class FhirFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    diagnostics: string,
    readonly severity: "error" | "fatal" = "error",
  ) {
    super(diagnostics);
  }
}

export type Stored<T extends Resource = Resource> = T & { id: string; meta: { versionId: string; lastUpdated: string } };

/**
 * Resources as a generic FHIR server keeps them: by type and id, each with
 * `meta.versionId` and `meta.lastUpdated`, a new version on every write.
 * Resources are replaced, never changed in place, so a snapshot (for a
 * transaction that must be all or nothing) is a shallow copy of the maps.
 */
export class ResourceStore {
  private byType = new Map<string, Map<string, Stored>>();

  read<T extends Resource>(type: T["resourceType"], id: string): Stored<T> | undefined {
    return this.byType.get(type)?.get(id) as Stored<T> | undefined;
  }

  all<T extends Resource>(type: T["resourceType"]): Stored<T>[] {
    return [...(this.byType.get(type)?.values() ?? [])] as Stored<T>[];
  }

  /** A new resource under a new id the server chooses. */
  create<T extends Resource>(resource: T): Stored<T> {
    return this.write({ ...resource, id: randomUUID() }, "1") as Stored<T>;
  }

  /** A resource under the id it carries (seed data, materialised slots), as version 1. */
  seed<T extends Resource & { id: string }>(resource: T): Stored<T> {
    return this.write(resource, "1");
  }

  /**
   * A new version of an existing resource. With `ifMatch` (a version id), a
   * stale version is refused with 412, the optimistic lock clients rely on;
   * without it the last write wins, as on any server that does not insist.
   */
  update<T extends Resource & { id: string }>(resource: T, ifMatch?: string): Stored<T> {
    const current = this.read<T>(resource.resourceType, resource.id);
    if (!current) throw new FhirFailure(404, "not-found", `${resource.resourceType}/${resource.id} is not known`);
    if (ifMatch !== undefined && ifMatch !== current.meta.versionId) {
      throw new FhirFailure(
        412,
        "conflict",
        `${resource.resourceType}/${resource.id} is at version ${current.meta.versionId}, not ${ifMatch}`,
      );
    }
    return this.write(resource, String(Number(current.meta.versionId) + 1));
  }

  snapshot(): Map<string, Map<string, Stored>> {
    return new Map([...this.byType].map(([type, resources]) => [type, new Map(resources)]));
  }

  restore(snapshot: Map<string, Map<string, Stored>>): void {
    this.byType = snapshot;
  }

  private write<T extends Resource & { id: string }>(resource: T, versionId: string): Stored<T> {
    const stored = { ...resource, meta: { ...resource.meta, versionId, lastUpdated: new Date().toISOString() } } as Stored<T>;
    const resources = this.byType.get(resource.resourceType) ?? new Map<string, Stored>();
    this.byType.set(resource.resourceType, resources);
    resources.set(resource.id, stored as Stored);
    return stored;
  }
}

/** The version id in an `If-Match: W/"3"` header (or a transaction entry's `ifMatch`). */
export function versionFromETag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  const match = /^(?:W\/)?"([^"]+)"$/.exec(etag.trim());
  if (!match) throw new FhirFailure(400, "invalid", `If-Match must be W/"<versionId>", not ${etag}`);
  return match[1];
}
