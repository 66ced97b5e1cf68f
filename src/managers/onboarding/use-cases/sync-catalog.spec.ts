import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { SyncState } from "../../../contracts/v1/provider_catalog_pb.js";
import { InstanceState } from "../../../contracts/v1/provider_instance_pb.js";
import { ErrorReason, platformError, reasonOf } from "../../../utilities/errors/platform-error.js";
import { catalogOf, onboardingWithFakes } from "../testing/fake-layers.js";
import { RunSyncRequestSchema } from "../v1/onboarding_manager_pb.js";
import { runSync } from "./sync-catalog.js";

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

const tenClinics = Array.from({ length: 10 }, (_, i) => `C${i}`);

describe("syncing a catalog, driven by a job", () => {
  it("reads the provider's catalog and records it in batches, telling progress, then finishes the run", async () => {
    const { provider, catalog, drive } = onboardingWithFakes();
    provider.add("kb");
    provider.catalogs.set("kb", catalogOf(tenClinics, ["CHK", "HYG"]));
    const progress = await drive({ instanceId: "kb", batchSize: 4, trigger: "cli" });
    expect(progress.map((p) => p.sync?.done)).toEqual([0, 4, 8, 12, 12]);
    expect(progress.at(-1)).toMatchObject({ final: true, sync: { state: SyncState.SUCCEEDED, total: 12, trigger: "cli" } });
    expect(catalog.runs.size).toBe(1);
  });

  it("syncs every active instance, skipping paused and retired ones, and one failing does not stop the others", async () => {
    const { provider, drive } = onboardingWithFakes();
    provider.add("a");
    provider.add("b");
    provider.add("c", InstanceState.PAUSED);
    provider.add("d", InstanceState.RETIRED);
    provider.probe = (id) => {
      if (id === "a") throw platformError(ErrorReason.PROVIDER_UNAVAILABLE, "provider a is down");
    };
    const progress = await drive({ all: true });
    const finals = Object.fromEntries(progress.filter((p) => p.final).map((p) => [p.instanceId, p.sync?.state ?? p.note]));
    expect(finals).toEqual({ a: SyncState.FAILED, b: SyncState.SUCCEEDED, c: "paused", d: "retired" });
    expect(progress.find((p) => p.instanceId === "a" && p.final)?.sync?.errors[0]).toContain("down");
  });

  it("refuses to sync a retired instance asked for by name", async () => {
    const { provider, drive } = onboardingWithFakes();
    provider.add("kb", InstanceState.RETIRED);
    expect(reasonOf(await failure(drive({ instanceId: "kb" })))).toBe(ErrorReason.PROVIDER_INSTANCE_STATE);
  });

  it("answers not found for an unknown instance", async () => {
    const { drive } = onboardingWithFakes();
    expect(reasonOf(await failure(drive({ instanceId: "nope" })))).toBe(ErrorReason.PROVIDER_INSTANCE_NOT_FOUND);
  });

  it("leaves a run another driver holds alone", async () => {
    const { provider, catalog, drive } = onboardingWithFakes();
    provider.add("kb");
    await catalog.service().beginCatalogSync!(
      { instanceId: "kb", owner: "someone-else", leaseSeconds: 90, trigger: "api" } as never,
      {} as never,
    );
    const progress = await drive({ instanceId: "kb" });
    expect(progress).toMatchObject([{ instanceId: "kb", note: "another run is syncing it", final: true }]);
  });

  it.each([
    ["its stream is closed under a progress message", true],
    ["it aborts the call between two batches", false],
  ])(
    "is interrupted when its caller goes away (%s); the next sync takes the same run over and finishes it, each item counted once",
    async (_how, close) => {
      const { provider, catalog, deps, drive } = onboardingWithFakes();
      provider.add("kb");
      provider.catalogs.set("kb", catalogOf(tenClinics));
      const controller = new AbortController();
      for await (const progress of runSync(deps, create(RunSyncRequestSchema, { instanceId: "kb", batchSize: 3 }), controller.signal)) {
        if ((progress.sync?.done ?? 0) >= 6) {
          controller.abort();
          if (close) break;
        }
      }
      const [interrupted] = [...catalog.runs.values()];
      expect(interrupted).toMatchObject({ state: SyncState.INTERRUPTED, done: 6, errors: [expect.stringContaining("interrupted")] });
      const again = await drive({ instanceId: "kb", batchSize: 3 });
      expect(again.at(-1)?.sync?.id).toBe(interrupted!.id);
      expect(catalog.runs.size).toBe(1);
      expect(catalog.runs.get(interrupted!.id)).toMatchObject({ state: SyncState.SUCCEEDED, total: 11, done: 11, attempts: 2 });
      expect(catalog.runs.get(interrupted!.id)?.clinics?.new).toBe(10);
    },
  );

  it("fails a run whose recording fails, and the next sync starts a new one that records everything", async () => {
    const { provider, catalog, drive } = onboardingWithFakes();
    provider.add("kb");
    catalog.failNext("recordSyncedItems", platformError(ErrorReason.WRITE_CONFLICT, "the table was busy"));
    const first = await drive({ instanceId: "kb" });
    expect(first.at(-1)?.sync).toMatchObject({ state: SyncState.FAILED, errors: ["the table was busy"] });
    const second = await drive({ instanceId: "kb" });
    expect(second.at(-1)?.sync).toMatchObject({ state: SyncState.SUCCEEDED, done: 2 });
  });

  it("does not trust a provider that suddenly lists nothing: the run fails and nothing is finished", async () => {
    const { provider, drive } = onboardingWithFakes();
    provider.add("kb");
    await drive({ instanceId: "kb" });
    provider.catalogs.set("kb", catalogOf([], []));
    const progress = await drive({ instanceId: "kb" });
    expect(progress.at(-1)?.sync).toMatchObject({ state: SyncState.FAILED });
    expect(progress.at(-1)?.sync?.errors[0]).toContain("empty catalog");
  });
});

describe("syncing a catalog, started over the API", () => {
  it("answers at once with the runs, and drives them in the background", async () => {
    const background: Array<() => Promise<void>> = [];
    const { client, provider, catalog } = onboardingWithFakes({ background });
    provider.add("a");
    provider.add("b", InstanceState.PAUSED);
    const started = await client.startSync({ all: true });
    expect(started.syncs.map((s) => [s.instanceId, s.state])).toEqual([["a", SyncState.RUNNING]]);
    expect(started.skipped).toMatchObject([{ instanceId: "b", reason: "paused" }]);
    await Promise.all(background.map((work) => work()));
    expect((await client.getSync({ syncId: started.syncs[0]!.id })).state).toBe(SyncState.SUCCEEDED);
    expect(catalog.runs.size).toBe(1);
  });
});
