import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TimeWindowSchema } from "../../contracts/v1/booking_pb.js";
import { InstanceSpecSchema, InstanceState } from "../../contracts/v1/provider_instance_pb.js";
import { createTestTable } from "../../utilities/dynamodb/testing.js";
import { ErrorReason, reasonOf } from "../../utilities/errors/platform-error.js";
import { createLogger } from "../../utilities/logging/logger.js";
import { adapterRegistry } from "./adapter-registry.js";
import { type KlinikbokningSimulator, startKlinikbokningSimulator } from "./adapters/klinikbokning/simulator/klinikbokning-simulator.js";
import { createInstanceStore } from "./instance-store.js";
import { createCredentialResolver } from "./private/credentials.js";
import { createProviderAccess } from "./provider-access.js";
import { ProviderAccessService } from "./v1/provider_access_pb.js";

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

/** A weekday a week or more ahead, 00:00–24:00 Stockholm time, as instants. */
function week() {
  const day = new Date(Date.now() + 8 * 86_400_000);
  while (day.getUTCDay() === 0 || day.getUTCDay() === 6) day.setUTCDate(day.getUTCDate() + 1);
  const start = new Date(`${day.toISOString().slice(0, 10)}T00:00:00+01:00`);
  return create(TimeWindowSchema, { start: timestampFromDate(start), end: timestampFromDate(new Date(start.getTime() + 86_400_000)) });
}

describe("provider instances as data: two provider access processes on one table", () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let simulator: KlinikbokningSimulator;
  // Two provider access services on one table, as two processes behind a load balancer would be.
  let one: ReturnType<typeof createClient<typeof ProviderAccessService>>;
  let two: ReturnType<typeof createClient<typeof ProviderAccessService>>;
  const spec = (
    overrides: { id?: string; adapter?: string; baseUrl?: string; credentials?: { source: { case: "env"; value: string } } } = {},
  ) =>
    create(InstanceSpecSchema, {
      id: "kb-chain",
      adapter: "klinikbokning",
      baseUrl: simulator.url,
      credentials: { source: { case: "env", value: "KB_CHAIN_KEY" } },
      timeZone: "Europe/Stockholm",
      ...overrides,
    });
  const search = (access: typeof one) =>
    access.findOpenSlots({
      providerInstanceId: "kb-chain",
      providerClinicCode: "KB-STH-ODEN",
      providerTreatmentCode: "UND30",
      window: week(),
    });

  beforeAll(async () => {
    table = await createTestTable(inject("dynamodbEndpoint"));
    simulator = await startKlinikbokningSimulator({ apiKey: "chain-key" });
    const access = () =>
      createClient(
        ProviderAccessService,
        createRouterTransport(({ service }) =>
          service(
            ProviderAccessService,
            createProviderAccess({
              store: createInstanceStore({ documents: table.documents, tableName: table.tableName }),
              adapters: adapterRegistry,
              log: createLogger("provider-access", { level: "silent" }),
              credentials: createCredentialResolver({ env: { KB_CHAIN_KEY: "chain-key", WRONG_KEY: "not-the-key" } }),
            }),
          ),
        ),
      );
    one = access();
    two = access();
  });
  afterAll(async () => {
    await simulator.close();
    await table.drop();
  });

  it("registers an instance through one and serves it from the other at once, without a restart", async () => {
    expect(reasonOf(await failure(search(two)))).toBe(ErrorReason.PROVIDER_INSTANCE_UNKNOWN);
    const record = await one.registerInstance({ spec: spec() });
    expect(record).toMatchObject({ state: InstanceState.ACTIVE, revision: 1 });
    expect(record.spec?.credentials?.source).toEqual({ case: "env", value: "KB_CHAIN_KEY" });
    const { slots } = await search(two);
    expect(slots.length).toBeGreaterThan(0);
  });

  it("keeps the secret out of the table: only the name of where it is", async () => {
    const { Items } = await table.documents.send(new (await import("@aws-sdk/lib-dynamodb")).ScanCommand({ TableName: table.tableName }));
    expect(JSON.stringify(Items)).not.toContain("chain-key");
    expect(JSON.stringify(Items)).toContain("KB_CHAIN_KEY");
  });

  it("refuses a second registration of the same id, and leaves the first as it was", async () => {
    const again = await failure(one.registerInstance({ spec: spec({ baseUrl: "http://127.0.0.1:1" }) }));
    expect(reasonOf(again)).toBe(ErrorReason.PROVIDER_INSTANCE_EXISTS);
    expect((await two.getInstance({ instanceId: "kb-chain" })).spec?.baseUrl).toBe(simulator.url);
  });

  it("refuses an unknown adapter, naming the known ones", async () => {
    const error = await failure(one.registerInstance({ spec: spec({ id: "other", adapter: "hl7v2" }) }));
    expect(reasonOf(error)).toBe(ErrorReason.ADAPTER_UNKNOWN);
    expect(String(error)).toContain("fhir-r4, klinikbokning, smart-scheduling-links");
  });

  it("tells refused credentials from an unreachable URL when probing", async () => {
    const refused = await failure(
      one.probeInstance({
        target: { case: "spec", value: spec({ id: "probe-a", credentials: { source: { case: "env", value: "WRONG_KEY" } } }) },
      }),
    );
    expect(reasonOf(refused)).toBe(ErrorReason.PROVIDER_CREDENTIALS_REFUSED);
    const unreachable = await failure(
      one.probeInstance({ target: { case: "spec", value: spec({ id: "probe-b", baseUrl: "http://127.0.0.1:9" }) } }),
    );
    expect(reasonOf(unreachable)).toBe(ErrorReason.PROVIDER_UNREACHABLE);
    const unresolved = await failure(
      one.probeInstance({
        target: { case: "spec", value: spec({ id: "probe-c", credentials: { source: { case: "env", value: "NOT_SET" } } }) },
      }),
    );
    expect(reasonOf(unresolved)).toBe(ErrorReason.CREDENTIALS_UNRESOLVED);
    const report = await one.probeInstance({ target: { case: "spec", value: spec({ id: "probe-d" }) } });
    expect(report.catalog?.clinics.map((c) => c.code)).toEqual(["KB-STH-ODEN", "KB-STH-SOD", "KB-GBG-AVE"]);
    expect(report.sampleSlots.length).toBeGreaterThan(0);
    expect((await one.listInstances({})).instances.map((i) => i.spec?.id)).toEqual(["kb-chain"]);
  });

  it("pauses through one, and the other refuses searches and new bookings at once, while cancelling still works", async () => {
    const { slots } = await search(two);
    const booked = await two.bookSlot({
      providerInstanceId: "kb-chain",
      providerSlotId: slots[0]!.providerSlotId,
      reference: "res_before_pause",
      patient: { name: "Anna", personalIdentityNumber: "19900101-1234", phone: "0701234567", email: "anna@example.se" },
    });
    await one.pauseInstance({ instanceId: "kb-chain", reason: "the chain asked us to" });
    expect(reasonOf(await failure(search(two)))).toBe(ErrorReason.PROVIDER_PAUSED);
    const hold = await failure(
      two.holdSlot({ providerInstanceId: "kb-chain", providerSlotId: slots[1]!.providerSlotId, reference: "r2", holdSeconds: 60 }),
    );
    expect(reasonOf(hold)).toBe(ErrorReason.PROVIDER_PAUSED);
    expect((await two.findBooking({ providerInstanceId: "kb-chain", reference: "res_before_pause" })).booking).toBeDefined();
    await two.cancelBooking({ providerInstanceId: "kb-chain", providerBookingRef: booked.providerBookingRef });
    const { providers } = await two.describeProviders({});
    expect(providers.find((p) => p.id === "kb-chain")?.state).toBe(InstanceState.PAUSED);
    await one.resumeInstance({ instanceId: "kb-chain", reason: "" });
    expect((await search(two)).slots.length).toBeGreaterThan(0);
  });

  it("keeps health figures per instance: calls, percentiles, errors by kind, the last error", async () => {
    const health = await two.getInstanceHealth({ instanceId: "kb-chain" });
    expect(health.calls).toBeGreaterThan(3);
    expect(health.p50Ms).toBeGreaterThan(0);
    expect(health.p99Ms).toBeGreaterThanOrEqual(health.p50Ms);
    expect(health.circuitState).toBe("closed");
    expect(health.lastSuccessAt).toBeDefined();
  });

  it("retires for good: not described, not searched, never resumed", async () => {
    await one.retireInstance({ instanceId: "kb-chain", reason: "contract ended" });
    expect((await two.describeProviders({})).providers.map((p) => p.id)).not.toContain("kb-chain");
    expect(reasonOf(await failure(search(two)))).toBe(ErrorReason.PROVIDER_INSTANCE_UNKNOWN);
    expect(reasonOf(await failure(one.resumeInstance({ instanceId: "kb-chain", reason: "" })))).toBe(ErrorReason.PROVIDER_INSTANCE_STATE);
    expect((await two.getInstance({ instanceId: "kb-chain" })).state).toBe(InstanceState.RETIRED);
  });
});
