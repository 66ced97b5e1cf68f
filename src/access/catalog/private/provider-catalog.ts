import { createHash } from "node:crypto";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { create } from "@bufbuild/protobuf";
import {
  MappedClinicSchema,
  type MappedProviderCatalog,
  MappedProviderCatalogSchema,
  MappedTreatmentSchema,
  type ProviderClinic,
  ProviderClinicSchema,
  type ProviderPractitioner,
  ProviderPractitionerSchema,
  type ProviderTreatment,
  ProviderTreatmentSchema,
  SyncedPractitionerSchema,
} from "../../../contracts/v1/provider_catalog_pb.js";
import { getAll, putAll, queryAll } from "../../../utilities/dynamodb/batch.js";
import { gsi1 } from "../../../utilities/dynamodb/table-design.js";
import { ErrorReason, platformError } from "../../../utilities/errors/platform-error.js";
import type { MapProviderCodesRequest } from "../v1/catalog_access_pb.js";

/** Keys of the items this file owns (the key design is at the top of catalog-access.ts). */
export const providerPartition = (instanceId: string) => `PCATALOG#${instanceId}`;
export type ItemKind = "clinic" | "treatment" | "practitioner";
export const itemPrefix: Record<ItemKind, string> = { clinic: "CLINIC#", treatment: "TREATMENT#", practitioner: "PRACTITIONER#" };
export const itemKey = (instanceId: string, kind: ItemKind, code: string) => ({
  pk: providerPartition(instanceId),
  sk: `${itemPrefix[kind]}${code}`,
});
const mapKey = (instanceId: string, kind: "clinic" | "treatment", code: string) => ({
  pk: providerPartition(instanceId),
  sk: `MAP#${kind.toUpperCase()}#${code}`,
});
const withdrawnKey = (instanceId: string) => ({ pk: providerPartition(instanceId), sk: "WITHDRAWN" });
const clinicKey = (id: string) => ({ pk: "CATALOG#CLINIC", sk: `CLINIC#${id}` });
const treatmentKey = (id: string) => ({ pk: "CATALOG#TREATMENT", sk: `TREATMENT#${id}` });
const offeringKey = (treatmentId: string, clinicId: string) => ({ pk: `TREATMENT#${treatmentId}`, sk: `OFFERING#${clinicId}` });

type Item = Record<string, unknown>;

/** What a provider's item says, in a fixed order, so that the same content always hashes the same. */
export function contentOf(kind: ItemKind, value: ProviderClinic | ProviderTreatment | ProviderPractitioner): Item {
  switch (kind) {
    case "clinic": {
      const c = value as ProviderClinic;
      return { name: c.name, city: c.city, address: c.address, timeZone: c.timeZone, phone: c.phone, website: c.website };
    }
    case "treatment": {
      const t = value as ProviderTreatment;
      return { name: t.name, durationMinutes: t.durationMinutes, clinicCodes: [...t.clinicCodes].sort() };
    }
    case "practitioner": {
      const p = value as ProviderPractitioner;
      return { name: p.name, clinicCode: p.clinicCode, treatmentCodes: [...p.treatmentCodes].sort() };
    }
  }
}

export const hashOf = (content: Item) => createHash("sha256").update(JSON.stringify(content)).digest("base64url").slice(0, 22);

/** Every item of an instance's partition: its catalog as last synced, its mappings, its current sync. */
export const instanceItems = (documents: DynamoDBDocumentClient, tableName: string, instanceId: string) =>
  queryAll(documents, {
    TableName: tableName,
    KeyConditionExpression: "pk = :pk",
    ExpressionAttributeValues: { ":pk": providerPartition(instanceId) },
    ConsistentRead: true,
  });

interface Derived {
  /** Offering key → the offering. */
  offerings: Map<string, { clinicId: string; treatmentId: string; providerClinicCode: string; providerTreatmentCode: string }>;
  /** Two provider pairs that would be one offering. */
  conflicts: string[];
  /** Vården clinic → whether the provider still lists the clinic mapped to it. */
  clinicActive: Map<string, boolean>;
}

/**
 * The offerings an instance's catalog and mappings give: every mapped
 * treatment the provider lists, at every mapped clinic the provider lists it
 * at. A pure function of the items, so that deriving again changes nothing.
 */
function derive(items: Item[], clinicMaps: Map<string, string>, treatmentMaps: Map<string, string>): Derived {
  const clinics = new Map(items.filter((i) => i.kind === "clinic").map((i) => [String(i.code), i]));
  const offerings: Derived["offerings"] = new Map();
  const conflicts: string[] = [];
  for (const treatment of items.filter((i) => i.kind === "treatment" && i.active !== false)) {
    const treatmentId = treatmentMaps.get(String(treatment.code));
    if (!treatmentId) continue;
    for (const code of (treatment.clinicCodes as string[] | undefined) ?? []) {
      const clinicId = clinicMaps.get(code);
      if (!clinicId || clinics.get(code)?.active === false || !clinics.has(code)) continue;
      const key = `${treatmentId}|${clinicId}`;
      const known = offerings.get(key);
      if (known && (known.providerClinicCode !== code || known.providerTreatmentCode !== treatment.code)) {
        conflicts.push(
          `${clinicId} × ${treatmentId} would come from both ${known.providerClinicCode}/${known.providerTreatmentCode} and ${code}/${String(treatment.code)}`,
        );
        continue;
      }
      offerings.set(key, { clinicId, treatmentId, providerClinicCode: code, providerTreatmentCode: String(treatment.code) });
    }
  }
  const clinicActive = new Map<string, boolean>();
  for (const [code, clinicId] of clinicMaps) {
    const active = clinics.get(code) !== undefined && clinics.get(code)?.active !== false;
    clinicActive.set(clinicId, (clinicActive.get(clinicId) ?? false) || active);
  }
  return { offerings, conflicts, clinicActive };
}

function mapsOf(items: Item[]) {
  const clinicMaps = new Map<string, string>();
  const treatmentMaps = new Map<string, string>();
  for (const item of items) {
    if (item.kind === "clinic-mapping") clinicMaps.set(String(item.code), String(item.vaardenClinicId));
    if (item.kind === "treatment-mapping") treatmentMaps.set(String(item.code), String(item.vaardenTreatmentId));
  }
  return { clinicMaps, treatmentMaps };
}

export function createProviderCatalog(documents: DynamoDBDocumentClient, tableName: string) {
  const offeringsOf = async (instanceId: string) =>
    (
      await queryAll(documents, {
        TableName: tableName,
        IndexName: gsi1,
        KeyConditionExpression: "gsi1pk = :pk",
        ExpressionAttributeValues: { ":pk": "CATALOG#OFFERING" },
      })
    ).filter((o) => o.providerInstanceId === instanceId);

  /**
   * Brings the instance's offerings and clinics in line with its catalog and mappings: derived offerings
   * active, every other offering of the instance inactive (never deleted: reservations refer to them), a
   * mapped Vården clinic active while the provider lists its clinic. Idempotent.
   */
  async function applyDerived(instanceId: string, derived: Derived): Promise<number> {
    const existing = await offeringsOf(instanceId);
    const writes: Item[] = [];
    for (const offering of derived.offerings.values()) {
      writes.push({
        ...offeringKey(offering.treatmentId, offering.clinicId),
        gsi1pk: "CATALOG#OFFERING",
        gsi1sk: `CLINIC#${offering.clinicId}#TREATMENT#${offering.treatmentId}`,
        type: "offering",
        clinicId: offering.clinicId,
        treatmentId: offering.treatmentId,
        providerInstanceId: instanceId,
        providerClinicCode: offering.providerClinicCode,
        providerTreatmentCode: offering.providerTreatmentCode,
        active: true,
      });
    }
    for (const item of existing) {
      if (derived.offerings.has(`${String(item.treatmentId)}|${String(item.clinicId)}`) || item.active === false) continue;
      writes.push({ ...item, active: false });
    }
    await putAll(documents, tableName, writes);
    const clinics = await getAll(documents, tableName, [...derived.clinicActive.keys()].map(clinicKey));
    await putAll(
      documents,
      tableName,
      clinics
        .filter((c) => c.providerInstanceId === instanceId && (c.active !== false) !== derived.clinicActive.get(String(c.id)))
        .map((c) => ({ ...c, active: derived.clinicActive.get(String(c.id)) })),
    );
    return derived.offerings.size;
  }

  const invalid = (reason: ErrorReason, message: string, field: string, instanceId: string) =>
    platformError(reason, message, { field, provider_instance_id: instanceId });

  return {
    /** Derives the instance's offerings from what is stored now (after a sync); a withdrawn instance derives none. */
    async deriveOfferings(instanceId: string): Promise<number> {
      const items = await instanceItems(documents, tableName, instanceId);
      const { clinicMaps, treatmentMaps } = mapsOf(items);
      const withdrawn = items.some((i) => i.sk === withdrawnKey(instanceId).sk);
      const derived = withdrawn
        ? { offerings: new Map(), conflicts: [], clinicActive: new Map() }
        : derive(items, clinicMaps, treatmentMaps);
      // A conflict can only come from mappings made before (checked then); keep what derives cleanly.
      return applyDerived(instanceId, derived);
    },

    async get(instanceId: string): Promise<MappedProviderCatalog> {
      const items = await instanceItems(documents, tableName, instanceId);
      const { clinicMaps, treatmentMaps } = mapsOf(items);
      const active = (await offeringsOf(instanceId)).filter((o) => o.active !== false).length;
      return toMapped(instanceId, items, clinicMaps, treatmentMaps, active);
    },

    async map(request: MapProviderCodesRequest): Promise<MappedProviderCatalog> {
      const instanceId = request.instanceId;
      const items = await instanceItems(documents, tableName, instanceId);
      const providerClinics = new Map(items.filter((i) => i.kind === "clinic").map((i) => [String(i.code), i]));
      const providerTreatments = new Map(items.filter((i) => i.kind === "treatment").map((i) => [String(i.code), i]));
      const { clinicMaps, treatmentMaps } = mapsOf(items);

      // Everything is checked before anything is written: a refused mapping leaves nothing behind.
      const wantedClinics = [...new Set(request.clinics.filter((m) => !m.create).map((m) => m.vaardenClinicId))];
      const targets = await getAll(documents, tableName, [
        ...wantedClinics.map(clinicKey),
        ...request.clinics
          .filter((m) => m.create)
          .map((m) => clinicKey(m.vaardenClinicId || newClinicId(instanceId, m.providerClinicCode))),
        ...[...new Set(request.treatments.map((m) => m.vaardenTreatmentId))].map(treatmentKey),
      ]);
      const knownClinics = new Map(targets.filter((t) => t.type === "clinic").map((t) => [String(t.id), t]));
      const knownTreatments = new Set(targets.filter((t) => t.type === "treatment").map((t) => String(t.id)));
      const newClinics: Item[] = [];
      const mappingItems: Item[] = [];

      request.clinics.forEach((mapping, index) => {
        const field = `clinics[${index}]`;
        const provided = providerClinics.get(mapping.providerClinicCode);
        if (!provided) {
          throw invalid(
            ErrorReason.PROVIDER_CODE_UNKNOWN,
            `clinic code ${mapping.providerClinicCode} is not in ${instanceId}'s catalog as last synced; sync it first`,
            `${field}.providerClinicCode`,
            instanceId,
          );
        }
        const clinicId = mapping.create
          ? mapping.vaardenClinicId || newClinicId(instanceId, mapping.providerClinicCode)
          : mapping.vaardenClinicId;
        if (!/^[a-z0-9][a-z0-9-]{0,99}$/.test(clinicId)) {
          throw platformError(ErrorReason.INVALID_ARGUMENT, `${field}: a Vården clinic id is lower-case letters, digits and dashes`, {
            field,
          });
        }
        const existing = knownClinics.get(clinicId);
        if (!existing && !mapping.create) {
          throw invalid(
            ErrorReason.MAPPING_TARGET_UNKNOWN,
            `Vården has no clinic ${clinicId}: map to an existing one, or create it from the provider's data (create: true)`,
            `${field}.vaardenClinicId`,
            instanceId,
          );
        }
        if (existing && existing.providerInstanceId !== instanceId) {
          throw invalid(
            ErrorReason.MAPPING_CONFLICT,
            `Vården clinic ${clinicId} is served by provider instance ${String(existing.providerInstanceId)}; a clinic has one provider`,
            `${field}.vaardenClinicId`,
            instanceId,
          );
        }
        if (!existing) {
          const zone = String(provided.timeZone);
          if (zone !== "UTC" && !Intl.supportedValuesOf("timeZone").includes(zone)) {
            throw platformError(ErrorReason.INVALID_ARGUMENT, `${field}: the provider's clinic has no usable time zone ("${zone}")`, {
              field,
            });
          }
          newClinics.push({
            ...clinicKey(clinicId),
            type: "clinic",
            id: clinicId,
            name: String(provided.name || mapping.providerClinicCode),
            city: String(provided.city ?? ""),
            address: String(provided.address ?? ""),
            timeZone: zone,
            providerInstanceId: instanceId,
            active: provided.active !== false,
          });
          knownClinics.set(clinicId, newClinics.at(-1)!);
        }
        clinicMaps.set(mapping.providerClinicCode, clinicId);
        mappingItems.push({
          ...mapKey(instanceId, "clinic", mapping.providerClinicCode),
          type: "provider-mapping",
          kind: "clinic-mapping",
          code: mapping.providerClinicCode,
          vaardenClinicId: clinicId,
        });
      });
      request.treatments.forEach((mapping, index) => {
        const field = `treatments[${index}]`;
        if (!providerTreatments.has(mapping.providerTreatmentCode)) {
          throw invalid(
            ErrorReason.PROVIDER_CODE_UNKNOWN,
            `treatment code ${mapping.providerTreatmentCode} is not in ${instanceId}'s catalog as last synced; sync it first`,
            `${field}.providerTreatmentCode`,
            instanceId,
          );
        }
        if (!knownTreatments.has(mapping.vaardenTreatmentId)) {
          throw invalid(
            ErrorReason.MAPPING_TARGET_UNKNOWN,
            `Vården has no treatment ${mapping.vaardenTreatmentId} (GET /v1/treatments lists them)`,
            `${field}.vaardenTreatmentId`,
            instanceId,
          );
        }
        treatmentMaps.set(mapping.providerTreatmentCode, mapping.vaardenTreatmentId);
        mappingItems.push({
          ...mapKey(instanceId, "treatment", mapping.providerTreatmentCode),
          type: "provider-mapping",
          kind: "treatment-mapping",
          code: mapping.providerTreatmentCode,
          vaardenTreatmentId: mapping.vaardenTreatmentId,
        });
      });
      const byClinic = new Map<string, string>();
      for (const [code, clinicId] of clinicMaps) {
        const other = byClinic.get(clinicId);
        if (other) {
          throw invalid(
            ErrorReason.MAPPING_CONFLICT,
            `provider clinics ${other} and ${code} would both be Vården clinic ${clinicId}; a Vården clinic is one provider clinic`,
            "clinics",
            instanceId,
          );
        }
        byClinic.set(clinicId, code);
      }
      const derived = derive(
        items.map((i) => (i.kind === "clinic" || i.kind === "treatment" ? i : {})),
        clinicMaps,
        treatmentMaps,
      );
      if (derived.conflicts.length > 0) {
        throw invalid(ErrorReason.MAPPING_CONFLICT, `conflicting mappings: ${derived.conflicts.join("; ")}`, "treatments", instanceId);
      }

      // New clinics first, then the mappings, then the offerings they give: a fault between them leaves a
      // clinic without offerings or a mapping not yet derived, never an offering without its mapping; mapping
      // again (or the next sync) derives what is missing.
      await putAll(documents, tableName, newClinics);
      await putAll(documents, tableName, mappingItems);
      const active = await applyDerived(instanceId, derived);
      return toMapped(instanceId, await instanceItems(documents, tableName, instanceId), clinicMaps, treatmentMaps, active);
    },

    /** The mapping items a seeded catalog's offerings imply, so that a later sync of a seeded instance derives the same offerings. */
    mappingItemsOf(
      offerings: Array<{
        providerInstanceId: string;
        providerClinicCode: string;
        providerTreatmentCode: string;
        clinicId: string;
        treatmentId: string;
      }>,
    ): Item[] {
      const items = new Map<string, Item>();
      for (const o of offerings) {
        const clinic = mapKey(o.providerInstanceId, "clinic", o.providerClinicCode);
        items.set(`${clinic.pk}|${clinic.sk}`, {
          ...clinic,
          type: "provider-mapping",
          kind: "clinic-mapping",
          code: o.providerClinicCode,
          vaardenClinicId: o.clinicId,
        });
        const treatment = mapKey(o.providerInstanceId, "treatment", o.providerTreatmentCode);
        items.set(`${treatment.pk}|${treatment.sk}`, {
          ...treatment,
          type: "provider-mapping",
          kind: "treatment-mapping",
          code: o.providerTreatmentCode,
          vaardenTreatmentId: o.treatmentId,
        });
      }
      return [...items.values()];
    },

    /**
     * A retired instance leaves searches: its offerings and clinics inactive, nothing deleted. A marker
     * first, so that a sync of it finishing meanwhile derives nothing (withdrawing again settles any race).
     */
    async withdraw(instanceId: string): Promise<{ offerings: number; clinics: number }> {
      await putAll(documents, tableName, [{ ...withdrawnKey(instanceId), type: "provider-withdrawn", instanceId }]);
      const offerings = (await offeringsOf(instanceId)).filter((o) => o.active !== false);
      const clinics = (
        await queryAll(documents, {
          TableName: tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": "CATALOG#CLINIC" },
        })
      ).filter((c) => c.providerInstanceId === instanceId && c.active !== false);
      await putAll(
        documents,
        tableName,
        [...offerings, ...clinics].map((item) => ({ ...item, active: false })),
      );
      return { offerings: offerings.length, clinics: clinics.length };
    },
  };
}

/** A new Vården clinic's id when the administrator gives none: the instance and the provider's code. */
export function newClinicId(instanceId: string, code: string): string {
  return `${instanceId}-${code}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 100);
}

function toMapped(
  instanceId: string,
  items: Item[],
  clinicMaps: Map<string, string>,
  treatmentMaps: Map<string, string>,
  activeOfferings: number,
): MappedProviderCatalog {
  const of = (kind: string) => items.filter((i) => i.kind === kind).sort((a, b) => String(a.code).localeCompare(String(b.code)));
  const clinics = of("clinic");
  const treatments = of("treatment");
  return create(MappedProviderCatalogSchema, {
    instanceId,
    clinics: clinics.map((c) =>
      create(MappedClinicSchema, {
        clinic: create(ProviderClinicSchema, {
          code: String(c.code),
          name: String(c.name ?? ""),
          city: String(c.city ?? ""),
          address: String(c.address ?? ""),
          timeZone: String(c.timeZone ?? ""),
          phone: String(c.phone ?? ""),
          website: String(c.website ?? ""),
        }),
        active: c.active !== false,
        vaardenClinicId: clinicMaps.get(String(c.code)) ?? "",
      }),
    ),
    treatments: treatments.map((t) =>
      create(MappedTreatmentSchema, {
        treatment: create(ProviderTreatmentSchema, {
          code: String(t.code),
          name: String(t.name ?? ""),
          durationMinutes: Number(t.durationMinutes ?? 0),
          clinicCodes: (t.clinicCodes as string[] | undefined) ?? [],
        }),
        active: t.active !== false,
        vaardenTreatmentId: treatmentMaps.get(String(t.code)) ?? "",
      }),
    ),
    practitioners: of("practitioner").map((p) =>
      create(SyncedPractitionerSchema, {
        practitioner: create(ProviderPractitionerSchema, {
          code: String(p.code),
          name: String(p.name ?? ""),
          clinicCode: String(p.clinicCode ?? ""),
          treatmentCodes: (p.treatmentCodes as string[] | undefined) ?? [],
        }),
        active: p.active !== false,
      }),
    ),
    unmappedClinicCodes: clinics.filter((c) => c.active !== false && !clinicMaps.has(String(c.code))).map((c) => String(c.code)),
    unmappedTreatmentCodes: treatments.filter((t) => t.active !== false && !treatmentMaps.has(String(t.code))).map((t) => String(t.code)),
    activeOfferings,
  });
}
