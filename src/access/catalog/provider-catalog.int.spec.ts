import path from "node:path";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  ProviderClinicSchema,
  ProviderPractitionerSchema,
  ProviderTreatmentSchema,
  SyncState,
} from "../../contracts/v1/provider_catalog_pb.js";
import { createTestTable } from "../../utilities/dynamodb/testing.js";
import { ErrorReason, reasonOf } from "../../utilities/errors/platform-error.js";
import { createCatalogAccess } from "./catalog-access.js";
import { seedCatalogIfEmpty } from "./seed-catalog.js";
import { CatalogAccessService } from "./v1/catalog_access_pb.js";

const demoCatalog = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../config/demo-catalog.json");

const clinic = (code: string, name = `Clinic ${code}`) =>
  create(ProviderClinicSchema, { code, name, city: "Uppsala", address: `${code} street 1`, timeZone: "Europe/Stockholm" });
const treatment = (code: string, clinicCodes: string[], durationMinutes = 30) =>
  create(ProviderTreatmentSchema, { code, name: `Treatment ${code}`, durationMinutes, clinicCodes });
const practitioner = (code: string, clinicCode: string, treatmentCodes: string[]) =>
  create(ProviderPractitionerSchema, { code, name: `Dr ${code}`, clinicCode, treatmentCodes });

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

describe("a provider instance's catalog, mappings and syncs in DynamoDB", () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let catalog: ReturnType<typeof createClient<typeof CatalogAccessService>>;

  /** One whole sync of `instanceId` by one driver. */
  async function syncOnce(
    instanceId: string,
    items: {
      clinics: ReturnType<typeof clinic>[];
      treatments: ReturnType<typeof treatment>[];
      practitioners: ReturnType<typeof practitioner>[];
    },
  ) {
    const owner = `driver-${Math.random()}`;
    const { sync } = await catalog.beginCatalogSync({ instanceId, owner, leaseSeconds: 30, trigger: "test" });
    const total = items.clinics.length + items.treatments.length + items.practitioners.length;
    await catalog.recordSyncedItems({ syncId: sync!.id, owner, total, ...items });
    return catalog.finishCatalogSync({ syncId: sync!.id, owner });
  }

  beforeAll(async () => {
    table = await createTestTable(inject("dynamodbEndpoint"));
    const impl = createCatalogAccess({ documents: table.documents, tableName: table.tableName });
    catalog = createClient(
      CatalogAccessService,
      createRouterTransport(({ service }) => service(CatalogAccessService, impl)),
    );
    await seedCatalogIfEmpty(catalog, demoCatalog);
  });
  afterAll(() => table.drop());

  it("records a first sync as new items, counted by kind, and lists the unmapped codes", async () => {
    const done = await syncOnce("chain-a", {
      clinics: [clinic("A1"), clinic("A2")],
      treatments: [treatment("CHK", ["A1", "A2"]), treatment("HYG", ["A1"], 45)],
      practitioners: [practitioner("P1", "A1", ["CHK", "HYG"])],
    });
    expect(done.state).toBe(SyncState.SUCCEEDED);
    expect([done.total, done.done]).toEqual([5, 5]);
    expect(done.clinics).toMatchObject({ new: 2, changed: 0, gone: 0 });
    expect(done.treatments).toMatchObject({ new: 2 });
    expect(done.practitioners).toMatchObject({ new: 1 });
    const mapped = await catalog.getProviderCatalog({ instanceId: "chain-a" });
    expect(mapped.unmappedClinicCodes).toEqual(["A1", "A2"]);
    expect(mapped.unmappedTreatmentCodes).toEqual(["CHK", "HYG"]);
    expect(mapped.activeOfferings).toBe(0);
  });

  it("maps codes to existing and new Vården clinics and treatments, and derives the offerings searches find", async () => {
    const mapped = await catalog.mapProviderCodes({
      instanceId: "chain-a",
      clinics: [
        { providerClinicCode: "A1", vaardenClinicId: "", create: true },
        { providerClinicCode: "A2", vaardenClinicId: "chain-a-second", create: true },
      ],
      treatments: [{ providerTreatmentCode: "CHK", vaardenTreatmentId: "dental-checkup" }],
    });
    expect(mapped.clinics.map((c) => [c.clinic?.code, c.vaardenClinicId])).toEqual([
      ["A1", "chain-a-a1"],
      ["A2", "chain-a-second"],
    ]);
    expect(mapped.unmappedTreatmentCodes).toEqual(["HYG"]);
    expect(mapped.activeOfferings).toBe(2);
    const { offerings } = await catalog.findOfferings({ treatmentId: "dental-checkup", clinicIds: ["chain-a-a1", "chain-a-second"] });
    expect(offerings.map((o) => [o.clinicId, o.providerInstanceId, o.providerClinicCode, o.providerTreatmentCode, o.timeZone])).toEqual([
      ["chain-a-a1", "chain-a", "A1", "CHK", "Europe/Stockholm"],
      ["chain-a-second", "chain-a", "A2", "CHK", "Europe/Stockholm"],
    ]);
    const { clinics } = await catalog.listClinics({ treatmentId: "dental-checkup" });
    expect(clinics.find((c) => c.id === "chain-a-a1")).toMatchObject({ name: "Clinic A1", providerInstanceId: "chain-a" });
  });

  it("refuses a mapping to a Vården id that does not exist, or a code the provider does not list, and writes nothing", async () => {
    const unknownTreatment = await failure(
      catalog.mapProviderCodes({
        instanceId: "chain-a",
        clinics: [{ providerClinicCode: "A1", vaardenClinicId: "chain-a-a1", create: false }],
        treatments: [
          { providerTreatmentCode: "HYG", vaardenTreatmentId: "dental-hygiene" },
          { providerTreatmentCode: "CHK", vaardenTreatmentId: "no-such-treatment" },
        ],
      }),
    );
    expect(reasonOf(unknownTreatment)).toBe(ErrorReason.MAPPING_TARGET_UNKNOWN);
    // HYG came first and was valid, but nothing of a refused request is written.
    expect((await catalog.getProviderCatalog({ instanceId: "chain-a" })).unmappedTreatmentCodes).toEqual(["HYG"]);
    const unknownClinic = await failure(
      catalog.mapProviderCodes({
        instanceId: "chain-a",
        clinics: [{ providerClinicCode: "A1", vaardenClinicId: "nowhere-clinic", create: false }],
      }),
    );
    expect(reasonOf(unknownClinic)).toBe(ErrorReason.MAPPING_TARGET_UNKNOWN);
    const unknownCode = await failure(
      catalog.mapProviderCodes({
        instanceId: "chain-a",
        treatments: [{ providerTreatmentCode: "XYZ", vaardenTreatmentId: "dental-checkup" }],
      }),
    );
    expect(reasonOf(unknownCode)).toBe(ErrorReason.PROVIDER_CODE_UNKNOWN);
    const othersClinic = await failure(
      catalog.mapProviderCodes({
        instanceId: "chain-a",
        clinics: [{ providerClinicCode: "A1", vaardenClinicId: "odenplan-clinic", create: false }],
      }),
    );
    expect(reasonOf(othersClinic)).toBe(ErrorReason.MAPPING_CONFLICT);
  });

  it("counts a second sync's changes, and marks what the provider no longer lists gone: inactive, skipped by searches, kept", async () => {
    const second = await syncOnce("chain-a", {
      clinics: [clinic("A1", "Clinic A1, renamed")],
      treatments: [treatment("CHK", ["A1"]), treatment("HYG", ["A1"], 45)],
      practitioners: [practitioner("P1", "A1", ["CHK", "HYG"])],
    });
    expect(second.clinics).toMatchObject({ new: 0, changed: 1, gone: 1, unchanged: 0 });
    expect(second.treatments).toMatchObject({ changed: 1, unchanged: 1, gone: 0 });
    expect(second.practitioners).toMatchObject({ unchanged: 1 });
    const mapped = await catalog.getProviderCatalog({ instanceId: "chain-a" });
    expect(mapped.clinics.map((c) => [c.clinic?.code, c.active])).toEqual([
      ["A1", true],
      ["A2", false],
    ]);
    const { offerings } = await catalog.findOfferings({ treatmentId: "dental-checkup" });
    expect(offerings.map((o) => o.clinicId)).toContain("chain-a-a1");
    expect(offerings.map((o) => o.clinicId)).not.toContain("chain-a-second");
    expect((await catalog.listClinics({})).clinics.map((c) => c.id)).not.toContain("chain-a-second");
  });

  it("counts each item once when a sync is interrupted and taken over, and then finishes it", async () => {
    const items = {
      clinics: Array.from({ length: 30 }, (_, i) => clinic(`B${i}`)),
      treatments: [treatment("CHK", ["B0"])],
      practitioners: [] as ReturnType<typeof practitioner>[],
    };
    const { sync } = await catalog.beginCatalogSync({ instanceId: "chain-b", owner: "first", leaseSeconds: 30, trigger: "test" });
    // The first driver records 20 items, then stops (its process died, or it was told to stop).
    await catalog.recordSyncedItems({ syncId: sync!.id, owner: "first", total: 31, clinics: items.clinics.slice(0, 20) });
    await catalog.abandonCatalogSync({ syncId: sync!.id, owner: "first", state: SyncState.INTERRUPTED, error: "stopped" });
    // A second driver takes the same run over and sends everything again.
    const resumed = await catalog.beginCatalogSync({ instanceId: "chain-b", owner: "second", leaseSeconds: 30, trigger: "test" });
    expect(resumed).toMatchObject({ resumed: true, busy: false });
    expect(resumed.sync?.id).toBe(sync!.id);
    await catalog.recordSyncedItems({ syncId: sync!.id, owner: "second", total: 31, ...items });
    // The first driver wakes up: it no longer owns the run and writes nothing.
    const late = await failure(catalog.recordSyncedItems({ syncId: sync!.id, owner: "first", total: 31, clinics: [clinic("LATE")] }));
    expect(reasonOf(late)).toBe(ErrorReason.SYNC_LEASE_LOST);
    const done = await catalog.finishCatalogSync({ syncId: sync!.id, owner: "second" });
    expect(done).toMatchObject({ state: SyncState.SUCCEEDED, total: 31, done: 31, attempts: 2 });
    expect(done.clinics?.new).toBe(30);
    const mapped = await catalog.getProviderCatalog({ instanceId: "chain-b" });
    expect(mapped.clinics).toHaveLength(30);
    expect(mapped.clinics.map((c) => c.clinic?.code)).not.toContain("LATE");
  });

  it("lets only one driver hold an instance's sync while its lease lives", async () => {
    const first = await catalog.beginCatalogSync({ instanceId: "chain-c", owner: "one", leaseSeconds: 30, trigger: "test" });
    const second = await catalog.beginCatalogSync({ instanceId: "chain-c", owner: "two", leaseSeconds: 30, trigger: "test" });
    expect(second).toMatchObject({ busy: true, resumed: false });
    expect(second.sync?.id).toBe(first.sync?.id);
    const failed = await catalog.abandonCatalogSync({
      syncId: first.sync!.id,
      owner: "one",
      state: SyncState.FAILED,
      error: "provider down",
    });
    expect(failed).toMatchObject({ state: SyncState.FAILED, errors: ["provider down"] });
    const next = await catalog.beginCatalogSync({ instanceId: "chain-c", owner: "two", leaseSeconds: 30, trigger: "test" });
    expect(next).toMatchObject({ busy: false, resumed: false });
    expect(next.sync?.id).not.toBe(first.sync?.id);
    const history = await catalog.listCatalogSyncs({ instanceId: "chain-c" });
    expect(history.syncs.map((s) => s.id)).toEqual([next.sync!.id, first.sync!.id]);
  });

  it("derives from a sync of a seeded instance the same offerings the seed recorded", async () => {
    const before = (await catalog.findOfferings({ treatmentId: "dental-checkup" })).offerings.filter(
      (o) => o.providerInstanceId === "fhir-uppsala",
    );
    await syncOnce("fhir-uppsala", {
      clinics: [clinic("loc-sodermalm"), clinic("loc-uppsala")],
      treatments: [treatment("CHK", ["loc-sodermalm", "loc-uppsala"]), treatment("HYG", ["loc-sodermalm"], 45)],
      practitioners: [],
    });
    const after = (await catalog.findOfferings({ treatmentId: "dental-checkup" })).offerings.filter(
      (o) => o.providerInstanceId === "fhir-uppsala",
    );
    expect(after).toEqual(before);
    expect((await catalog.getProviderCatalog({ instanceId: "fhir-uppsala" })).unmappedClinicCodes).toEqual(["loc-sodermalm"]);
  });

  it("withdraws a retired instance's offerings and clinics from searches, and a later sync of it derives none", async () => {
    const withdrawn = await catalog.withdrawInstance({ instanceId: "chain-a" });
    expect(withdrawn).toMatchObject({ offerings: 1, clinics: 1 });
    const { offerings } = await catalog.findOfferings({ treatmentId: "dental-checkup" });
    expect(offerings.filter((o) => o.providerInstanceId === "chain-a")).toEqual([]);
    // A sync of it that was still running finishes afterwards: it derives nothing back.
    await syncOnce("chain-a", { clinics: [clinic("A1")], treatments: [treatment("CHK", ["A1"])], practitioners: [] });
    const after = await catalog.findOfferings({ treatmentId: "dental-checkup" });
    expect(after.offerings.filter((o) => o.providerInstanceId === "chain-a")).toEqual([]);
  });
});
