import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type Clinic,
  ClinicSchema,
  type Offering,
  OfferingSchema,
  type Treatment,
  TreatmentSchema,
} from "../../contracts/v1/booking_pb.js";
import { getAll, putAll } from "../../utilities/dynamodb/batch.js";
import { ErrorReason, platformError } from "../../utilities/errors/platform-error.js";
import type { Logger } from "../../utilities/logging/logger.js";
import { createCatalogSnapshots } from "./private/catalog-snapshot.js";
import { createCatalogSyncs } from "./private/catalog-syncs.js";
import { createProviderCatalog } from "./private/provider-catalog.js";
import {
  BeginCatalogSyncResponseSchema,
  type CatalogAccessService,
  FindOfferingsResponseSchema,
  ListCatalogSyncsResponseSchema,
  ListClinicsResponseSchema,
  ListTreatmentsResponseSchema,
  type RecordCatalogRequest,
  RecordCatalogResponseSchema,
  WithdrawInstanceResponseSchema,
} from "./v1/catalog_access_pb.js";

/*
 * Key design (single table; see docs/data-model.md for every entity):
 *
 * Vården's catalog:
 * | item      | pk                     | sk                   | gsi1pk     | gsi1sk                                 |
 * |-----------|------------------------|----------------------|------------|----------------------------------------|
 * | treatment | CATALOG#TREATMENT      | TREATMENT#<id>       |            |                                        |
 * | clinic    | CATALOG#CLINIC         | CLINIC#<id>          |            |                                        |
 * | offering  | TREATMENT#<treatment>  | OFFERING#<clinic>    | CATALOG#OFFERING | CLINIC#<clinic>#TREATMENT#<treatment> |
 *
 * A provider instance's own catalog as last synced, its mappings, its syncs (private/provider-catalog.ts,
 * private/catalog-syncs.ts):
 * | item                      | pk                   | sk                    | gsi1pk              | gsi1sk               |
 * |---------------------------|----------------------|-----------------------|---------------------|----------------------|
 * | provider clinic           | PCATALOG#<instance>  | CLINIC#<code>         |                     |                      |
 * | provider treatment        | PCATALOG#<instance>  | TREATMENT#<code>      |                     |                      |
 * | provider practitioner     | PCATALOG#<instance>  | PRACTITIONER#<code>   |                     |                      |
 * | clinic mapping            | PCATALOG#<instance>  | MAP#CLINIC#<code>     |                     |                      |
 * | treatment mapping         | PCATALOG#<instance>  | MAP#TREATMENT#<code>  |                     |                      |
 * | unfinished sync (pointer) | PCATALOG#<instance>  | SYNC#CURRENT          |                     |                      |
 * | withdrawn (retired)       | PCATALOG#<instance>  | WITHDRAWN             |                     |                      |
 * | sync run                  | SYNC#<syncId>        | SYNC                  | SYNCS#<instance>    | <startedAt>#<syncId> |
 *
 * | catalog version stamp     | CATALOG#VERSION      | VERSION               |                     |                      |
 *
 * Access patterns:
 * 0. is the catalog in memory current?  GetItem CATALOG#VERSION (consistent), at most once a second per process
 *                                       (private/catalog-snapshot.ts); every catalog write bumps it (ADD version 1)
 * 1. list treatments                    Query pk = CATALOG#TREATMENT (consistent), when the stamp moved
 * 2. list clinics                       Query pk = CATALOG#CLINIC (consistent), when the stamp moved
 * 3. offerings of a treatment           Query pk = TREATMENT#<id> (consistent), each treatment, when the stamp moved
 * 4. every offering of an instance      Query gsi1 gsi1pk = CATALOG#OFFERING (deriving a synced instance's offerings)
 * 5. a clinic / treatment by id         GetItem / BatchGetItem on pk + sk
 * 6. an instance's catalog, mappings    Query pk = PCATALOG#<instance> (consistent)
 *    and unfinished sync
 * 7. record a batch of a sync           BatchGetItem the items, then one TransactWriteItems: each item put
 *                                       if unchanged since read (lastSeenSync = <read>), the run's counters,
 *                                       the owner's lease (owner = <me>)
 * 8. a sync by id                       GetItem pk = SYNC#<id>
 * 9. an instance's syncs, newest first  Query gsi1 gsi1pk = SYNCS#<instance>, descending
 *
 * Offerings and clinics carry `active`: what the provider no longer lists (or a retired instance) is
 * inactive, and searches skip it; nothing is deleted, because reservations refer to clinics and offerings.
 * The offerings of a synced instance are derived from its catalog and mappings (its mapped treatments at
 * its mapped clinics); the seeded demo catalog records its mappings beside its offerings, so a sync of a
 * seeded instance derives the same ones.
 *
 * The catalog is small (clinics and treatments in the thousands at most), so
 * fixed partitions for patterns 1, 2 and 4 are fine; a sharded key would only
 * matter far beyond that.
 */
const treatmentKey = (id: string) => ({ pk: "CATALOG#TREATMENT", sk: `TREATMENT#${id}` });
const clinicKey = (id: string) => ({ pk: "CATALOG#CLINIC", sk: `CLINIC#${id}` });
const offeringKey = (treatmentId: string, clinicId: string) => ({ pk: `TREATMENT#${treatmentId}`, sk: `OFFERING#${clinicId}` });

export interface CatalogAccessDeps {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** How stale another process's change to the catalog may be seen here (the catalog is held in memory); default 1 s. */
  catalogCheckMs?: number;
  log?: Pick<Logger, "warn">;
}

export function createCatalogAccess({
  documents,
  tableName,
  catalogCheckMs,
  log,
}: CatalogAccessDeps): ServiceImpl<typeof CatalogAccessService> {
  const providerCatalogs = createProviderCatalog(documents, tableName);
  const syncs = createCatalogSyncs(documents, tableName);
  // Read on every search: held in memory, checked against the catalog's version stamp (private/catalog-snapshot.ts).
  const snapshots = createCatalogSnapshots({ documents, tableName, checkMs: catalogCheckMs });
  /** A write to the catalog, finished or failed half-way: either way the stamp moves, so that every process reloads. */
  const writing = async <T>(write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } finally {
      await snapshots.changed().catch((error: unknown) =>
        // The others then see it at their next full reload (at most 5 minutes); this process sees it at once.
        log?.warn({ err: error }, "could not move the catalog's version stamp after a write"),
      );
    }
  };

  return {
    async listTreatments() {
      const { treatments } = await snapshots.current();
      return create(ListTreatmentsResponseSchema, { treatments: [...treatments.values()].map(toTreatment) });
    },

    async listClinics(request) {
      const catalog = await snapshots.current();
      const treatmentsByClinic = new Map<string, string[]>();
      for (const items of catalog.offerings.values()) {
        for (const item of items) {
          if (item.active === false) continue;
          const offering = toOffering(item);
          treatmentsByClinic.set(offering.clinicId, [...(treatmentsByClinic.get(offering.clinicId) ?? []), offering.treatmentId]);
        }
      }
      const clinics = [...catalog.clinics.values()]
        .filter((item) => item.active !== false)
        .map((item) => toClinic(item, treatmentsByClinic.get(String(item.id)) ?? []))
        .filter((clinic) => !request.treatmentId || clinic.treatmentIds.includes(request.treatmentId));
      return create(ListClinicsResponseSchema, { clinics });
    },

    async findOfferings(request) {
      if (!request.treatmentId) throw new ConnectError("treatment_id is required", Code.InvalidArgument);
      const catalog = await snapshots.current();
      const treatmentItem = catalog.treatments.get(request.treatmentId);
      if (!treatmentItem) return create(FindOfferingsResponseSchema, {});
      const wanted = new Set(request.clinicIds);
      // What the provider no longer lists (or a retired instance) is inactive: searches skip it.
      const offerings = (catalog.offerings.get(request.treatmentId) ?? [])
        .filter((item) => item.active !== false)
        .map(toOffering)
        .filter((o) => wanted.size === 0 || wanted.has(o.clinicId));
      // The clinic, not the offering, owns the time zone: read it from there.
      for (const offering of offerings) {
        const clinic = catalog.clinics.get(offering.clinicId);
        offering.timeZone = clinic && clinic.active !== false ? String(clinic.timeZone) : "";
      }
      return create(FindOfferingsResponseSchema, {
        treatment: toTreatment(treatmentItem),
        offerings: offerings.filter((o) => o.timeZone !== ""),
      });
    },

    recordCatalog: (request) => writing(() => recordCatalog(request)),

    // --- a provider instance's catalog as last synced, its mappings, its syncs ---

    beginCatalogSync: async (request) => create(BeginCatalogSyncResponseSchema, await syncs.begin(request)),
    recordSyncedItems: (request) => syncs.record(request),
    finishCatalogSync: (request) => writing(() => syncs.finish(request, providerCatalogs.deriveOfferings)),
    abandonCatalogSync: (request) => syncs.abandon(request),
    getCatalogSync: (request) => syncs.get(request.syncId),
    listCatalogSyncs: async (request) =>
      create(ListCatalogSyncsResponseSchema, { syncs: await syncs.list(required(request.instanceId, "instance_id"), request.limit) }),
    getProviderCatalog: (request) => providerCatalogs.get(required(request.instanceId, "instance_id")),
    mapProviderCodes: (request) => {
      required(request.instanceId, "instance_id");
      return writing(() => providerCatalogs.map(request));
    },
    withdrawInstance: (request) =>
      writing(async () =>
        create(WithdrawInstanceResponseSchema, await providerCatalogs.withdraw(required(request.instanceId, "instance_id"))),
      ),
  };

  async function recordCatalog(request: RecordCatalogRequest) {
    validateCatalog(request.treatments, request.clinics, request.offerings);
    const known = await knownIds(request.offerings);
    for (const t of request.treatments) known.treatments.add(t.id);
    for (const c of request.clinics) known.clinics.add(c.id);
    for (const o of request.offerings) {
      if (!known.treatments.has(o.treatmentId)) throw invalid(`offering names unknown treatment ${o.treatmentId}`);
      if (!known.clinics.has(o.clinicId)) throw invalid(`offering names unknown clinic ${o.clinicId}`);
    }
    // Puts overwrite by key, so recording the same catalog again changes nothing.
    await putAll(documents, tableName, [
      ...request.treatments.map((t) => ({
        ...treatmentKey(t.id),
        type: "treatment",
        id: t.id,
        name: t.name,
        description: t.description,
        durationMinutes: t.durationMinutes,
        minLeadMinutes: t.minLeadMinutes,
        cancellationWindowHours: t.cancellationWindowHours,
      })),
      ...request.clinics.map((c) => ({
        ...clinicKey(c.id),
        type: "clinic",
        id: c.id,
        name: c.name,
        city: c.city,
        address: c.address,
        timeZone: c.timeZone,
        providerInstanceId: c.providerInstanceId,
      })),
      ...request.offerings.map((o) => ({
        ...offeringKey(o.treatmentId, o.clinicId),
        gsi1pk: "CATALOG#OFFERING",
        gsi1sk: `CLINIC#${o.clinicId}#TREATMENT#${o.treatmentId}`,
        type: "offering",
        clinicId: o.clinicId,
        treatmentId: o.treatmentId,
        providerInstanceId: o.providerInstanceId,
        providerClinicCode: o.providerClinicCode,
        providerTreatmentCode: o.providerTreatmentCode,
      })),
      // The mappings these offerings imply, so that a sync of the instance later derives the same offerings.
      ...providerCatalogs.mappingItemsOf(request.offerings),
    ]);
    return create(RecordCatalogResponseSchema, {
      treatments: request.treatments.length,
      clinics: request.clinics.length,
      offerings: request.offerings.length,
    });
  }

  async function knownIds(offerings: Offering[]) {
    const stored = await getAll(documents, tableName, [
      ...[...new Set(offerings.map((o) => o.treatmentId))].map(treatmentKey),
      ...[...new Set(offerings.map((o) => o.clinicId))].map(clinicKey),
    ]);
    return {
      treatments: new Set(stored.filter((i) => i.type === "treatment").map((i) => String(i.id))),
      clinics: new Set(stored.filter((i) => i.type === "clinic").map((i) => String(i.id))),
    };
  }
}

function required(value: string, field: string): string {
  if (!value) throw platformError(ErrorReason.INVALID_ARGUMENT, `${field} is required`, { field });
  return value;
}

function invalid(message: string) {
  return new ConnectError(message, Code.InvalidArgument);
}

function validateCatalog(treatments: Treatment[], clinics: Clinic[], offerings: Offering[]) {
  for (const t of treatments) {
    if (!t.id || !t.name) throw invalid("every treatment needs an id and a name");
    if (t.durationMinutes <= 0) throw invalid(`treatment ${t.id} needs a positive duration`);
  }
  for (const c of clinics) {
    if (!c.id || !c.name || !c.providerInstanceId) throw invalid("every clinic needs an id, a name and a provider instance");
    if (!Intl.supportedValuesOf("timeZone").includes(c.timeZone) && c.timeZone !== "UTC") {
      throw invalid(`clinic ${c.id} has unknown time zone "${c.timeZone}"`);
    }
  }
  for (const o of offerings) {
    if (!o.clinicId || !o.treatmentId || !o.providerInstanceId || !o.providerClinicCode || !o.providerTreatmentCode) {
      throw invalid("every offering needs clinic, treatment, provider instance and both provider codes");
    }
  }
}

function toTreatment(item: Record<string, unknown>): Treatment {
  return create(TreatmentSchema, {
    id: String(item.id),
    name: String(item.name ?? ""),
    description: String(item.description ?? ""),
    durationMinutes: Number(item.durationMinutes ?? 0),
    minLeadMinutes: Number(item.minLeadMinutes ?? 0),
    cancellationWindowHours: Number(item.cancellationWindowHours ?? 0),
  });
}

function toClinic(item: Record<string, unknown>, treatmentIds: string[]): Clinic {
  return create(ClinicSchema, {
    id: String(item.id),
    name: String(item.name ?? ""),
    city: String(item.city ?? ""),
    address: String(item.address ?? ""),
    timeZone: String(item.timeZone ?? ""),
    providerInstanceId: String(item.providerInstanceId ?? ""),
    treatmentIds: treatmentIds.sort(),
  });
}

function toOffering(item: Record<string, unknown>): Offering {
  return create(OfferingSchema, {
    clinicId: String(item.clinicId),
    treatmentId: String(item.treatmentId),
    providerInstanceId: String(item.providerInstanceId),
    providerClinicCode: String(item.providerClinicCode),
    providerTreatmentCode: String(item.providerTreatmentCode),
  });
}
