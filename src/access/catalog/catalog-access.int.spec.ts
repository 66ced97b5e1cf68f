import path from "node:path";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ClinicSchema, OfferingSchema, TreatmentSchema } from "../../contracts/v1/booking_pb.js";
import { createTestTable } from "../../utilities/dynamodb/testing.js";
import { createCatalogAccess } from "./catalog-access.js";
import { seedCatalogIfEmpty } from "./seed-catalog.js";
import { CatalogAccessService } from "./v1/catalog_access_pb.js";

const demoCatalog = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../config/demo-catalog.json");

describe("the catalog in DynamoDB", () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let catalog: ReturnType<typeof createClient<typeof CatalogAccessService>>;

  beforeAll(async () => {
    table = await createTestTable(inject("dynamodbEndpoint"));
    const impl = createCatalogAccess({ documents: table.documents, tableName: table.tableName });
    catalog = createClient(
      CatalogAccessService,
      createRouterTransport(({ service }) => service(CatalogAccessService, impl)),
    );
  });
  afterAll(() => table.drop());

  it("is seeded from the demo file when empty, and only then", async () => {
    expect(await seedCatalogIfEmpty(catalog, demoCatalog)).toBe(true);
    expect(await seedCatalogIfEmpty(catalog, demoCatalog)).toBe(false);
    const { treatments } = await catalog.listTreatments({});
    expect(treatments.map((t) => t.id)).toEqual(["covid-vaccination", "dental-checkup", "dental-hygiene", "flu-vaccination"]);
    expect(treatments[1]).toMatchObject({ name: "Dental check-up", durationMinutes: 30, minLeadMinutes: 60 });
  });

  it("lists every clinic with the treatments it offers", async () => {
    const { clinics } = await catalog.listClinics({});
    expect(clinics.map((c) => [c.id, c.treatmentIds])).toEqual([
      ["goteborg-clinic", ["dental-hygiene", "flu-vaccination"]],
      ["odenplan-clinic", ["dental-checkup", "dental-hygiene"]],
      ["ringvagen-vaccination", ["covid-vaccination"]],
      ["sodermalm-clinic", ["dental-checkup", "flu-vaccination"]],
      ["uppsala-clinic", ["dental-checkup"]],
    ]);
    expect(clinics[0]).toMatchObject({ timeZone: "Europe/Stockholm", providerInstanceId: "klinikbokning-demo", city: "Göteborg" });
  });

  it("lists only the clinics offering a treatment when asked for one", async () => {
    const { clinics } = await catalog.listClinics({ treatmentId: "dental-checkup" });
    expect(clinics.map((c) => c.id)).toEqual(["odenplan-clinic", "sodermalm-clinic", "uppsala-clinic"]);
  });

  it("finds who offers a treatment under which provider codes, with the clinic's time zone", async () => {
    const { treatment, offerings } = await catalog.findOfferings({ treatmentId: "dental-hygiene" });
    expect(treatment?.id).toBe("dental-hygiene");
    expect(offerings.map((o) => [o.clinicId, o.providerClinicCode, o.providerTreatmentCode, o.timeZone])).toEqual([
      ["goteborg-clinic", "KB-GBG-AVE", "HYG45", "Europe/Stockholm"],
      ["odenplan-clinic", "KB-STH-ODEN", "HYG45", "Europe/Stockholm"],
    ]);
  });

  it("narrows the offerings to the clinics asked for", async () => {
    const { offerings } = await catalog.findOfferings({ treatmentId: "dental-hygiene", clinicIds: ["odenplan-clinic"] });
    expect(offerings.map((o) => o.clinicId)).toEqual(["odenplan-clinic"]);
  });

  it("answers an unknown treatment with no treatment rather than an error", async () => {
    const result = await catalog.findOfferings({ treatmentId: "brain-surgery" });
    expect(result.treatment).toBeUndefined();
    expect(result.offerings).toEqual([]);
  });

  it("does not duplicate anything when the same catalog is recorded again", async () => {
    const before = await catalog.listClinics({});
    const treatment = create(TreatmentSchema, { id: "flu-vaccination", name: "Flu vaccination", durationMinutes: 15 });
    const clinic = create(ClinicSchema, {
      id: "sodermalm-clinic",
      name: "Klinik Södermalm",
      timeZone: "Europe/Stockholm",
      providerInstanceId: "klinikbokning-demo",
    });
    const offering = create(OfferingSchema, {
      clinicId: "sodermalm-clinic",
      treatmentId: "flu-vaccination",
      providerInstanceId: "klinikbokning-demo",
      providerClinicCode: "KB-STH-SOD",
      providerTreatmentCode: "VAC15",
    });
    await catalog.recordCatalog({ treatments: [treatment], clinics: [clinic], offerings: [offering] });
    const after = await catalog.listClinics({});
    expect(after.clinics.map((c) => [c.id, c.treatmentIds])).toEqual(before.clinics.map((c) => [c.id, c.treatmentIds]));
  });

  it("refuses a mapping to a clinic it has never heard of, and a clinic in an unknown time zone", async () => {
    await expect(
      catalog.recordCatalog({
        offerings: [
          create(OfferingSchema, {
            clinicId: "nowhere",
            treatmentId: "dental-checkup",
            providerInstanceId: "kb",
            providerClinicCode: "X",
            providerTreatmentCode: "Y",
          }),
        ],
      }),
    ).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringContaining("nowhere") });
    await expect(
      catalog.recordCatalog({
        clinics: [create(ClinicSchema, { id: "mars", name: "Mars", timeZone: "Mars/Olympus", providerInstanceId: "kb" })],
      }),
    ).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringContaining("Mars/Olympus") });
  });
});

/**
 * The catalog is read on every search, so each catalog access process holds
 * it in memory: two processes on one table, counting what each sends to
 * DynamoDB.
 */
describe("the catalog in memory", () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  const sent = { writer: 0, reader: 0 };
  const processOn = (who: keyof typeof sent, catalogCheckMs: number) => {
    const send = table.documents.send.bind(table.documents) as (...args: unknown[]) => Promise<unknown>;
    const counting = new Proxy(table.documents, {
      get: (target, property, receiver) =>
        property === "send"
          ? (...args: unknown[]) => {
              sent[who]++;
              return send(...args);
            }
          : Reflect.get(target, property, receiver),
    });
    const impl = createCatalogAccess({ documents: counting, tableName: table.tableName, catalogCheckMs });
    return createClient(
      CatalogAccessService,
      createRouterTransport(({ service }) => service(CatalogAccessService, impl)),
    );
  };

  beforeAll(async () => {
    table = await createTestTable(inject("dynamodbEndpoint"));
  });
  afterAll(() => table.drop());

  it("answers a thousand searches from memory, reading one item a second at most, and sees another process's change within that", async () => {
    const writer = processOn("writer", 60_000);
    const reader = processOn("reader", 300);
    await seedCatalogIfEmpty(writer, demoCatalog);
    expect((await reader.findOfferings({ treatmentId: "flu-vaccination" })).offerings.map((o) => o.clinicId)).toEqual([
      "goteborg-clinic",
      "sodermalm-clinic",
    ]);
    const before = sent.reader;
    for (let i = 0; i < 1000; i++) await reader.findOfferings({ treatmentId: "dental-checkup" });
    // At most one stamp read per 300 ms of the loop, and no reload: the catalog did not change.
    expect(sent.reader - before).toBeLessThan(20);

    // The writer renames a clinic.
    await writer.recordCatalog({
      clinics: [
        create(ClinicSchema, { id: "goteborg-clinic", name: "Klinik Avenyn", timeZone: "Europe/Stockholm", providerInstanceId: "kb" }),
      ],
    });
    // Its own process sees its write at once ...
    expect((await writer.listClinics({})).clinics.find((c) => c.id === "goteborg-clinic")?.name).toBe("Klinik Avenyn");
    // ... the other within its bound.
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await reader.listClinics({})).clinics.find((c) => c.id === "goteborg-clinic")?.name).toBe("Klinik Avenyn");
  });
});
