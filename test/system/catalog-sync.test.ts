import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BookingClient } from "@booking-platform/client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type FhirSimulator, startFhirSimulator } from "../../src/access/provider/adapters/fhir-r4/simulator/fhir-simulator.js";
import { clientWithScopes } from "./support/onboarding.js";
import { onboardingFhirToken, onboardingFhirTokenVariable } from "./support/onboarding-token.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const system = inject("system");

/** `npm run sync` as a process of its own, talking to the running system's onboarding manager. */
function syncJob(...args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [path.join(root, "scripts/start.mjs"), "--entry", "client/sync/main.js", ...args], {
    cwd: root,
    env: { ...process.env, BP_URL_ONBOARDING_MANAGER: system.urls["onboarding-manager"], BP_PLATFORM_TOKEN: system.platformToken },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * The catalog sync job is safe to interrupt and to run again: killed with SIGKILL in the middle of a run
 * (no handler, no goodbye), then run again, the same run is taken over and finished, with every item of
 * the provider's catalog recorded once: nothing doubled, nothing lost.
 */
describe("the catalog sync job, killed mid-way and run again", () => {
  let admin: BookingClient;
  let fhir: FhirSimulator;
  const instanceId = "fhir-killtest";

  beforeAll(async () => {
    fhir = await startFhirSimulator({ token: onboardingFhirToken });
    admin = await clientWithScopes("sync-operator", ["admin"]);
    const registered = await admin.POST("/v1/admin/instances", {
      body: {
        id: instanceId,
        adapter: "fhir-r4",
        baseUrl: fhir.url,
        credentials: { env: onboardingFhirTokenVariable },
        timeZone: "Europe/Stockholm",
      },
    });
    expect(registered.response.status).toBe(201);
  });
  afterAll(async () => {
    await admin?.POST("/v1/admin/instances/{instanceId}/retire", { params: { path: { instanceId } }, body: { reason: "test over" } });
    await fhir?.close();
  });

  it("finishes the interrupted run with no duplicates and nothing lost", async () => {
    // One item a step and a pause after each, so that "the middle" lasts long enough to be hit.
    const first = syncJob("--instance", instanceId, "--batch-size", "1", "--pause-ms", "400");
    let syncId = "";
    let doneAtKill = 0;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const { data } = await admin.GET("/v1/admin/instances/{instanceId}/syncs", { params: { path: { instanceId } } });
      const run = data?.items[0];
      if (run && run.state === "running" && run.progress.done >= 2) {
        syncId = run.id;
        doneAtKill = run.progress.done;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(syncId, `no run got going: ${first.output()}`).not.toBe("");
    first.child.kill("SIGKILL");
    await first.exited;

    // Left part-way: not finished, and marked interrupted as soon as the manager saw its caller gone.
    await expect
      .poll(async () => (await admin.GET("/v1/admin/syncs/{syncId}", { params: { path: { syncId } } })).data?.state, { timeout: 10_000 })
      .toBe("interrupted");
    const { data: interrupted } = await admin.GET("/v1/admin/syncs/{syncId}", { params: { path: { syncId } } });
    expect(interrupted!.progress.done).toBeGreaterThanOrEqual(doneAtKill);
    expect(interrupted!.progress.done).toBeLessThan(interrupted!.progress.total);

    // Run again: the same run is taken over and finished.
    const second = syncJob("--instance", instanceId);
    expect(await second.exited, second.output()).toBe(0);
    expect(second.output()).toContain("succeeded");
    const { data: finished } = await admin.GET("/v1/admin/syncs/{syncId}", { params: { path: { syncId } } });
    expect(finished).toMatchObject({ state: "succeeded", attempts: 2, progress: { done: 6, total: 6 } });
    // Every item counted once across both drivers: all new, none changed or unchanged.
    expect(finished!.counts).toEqual({
      clinics: { new: 2, changed: 0, gone: 0, unchanged: 0 },
      practitioners: { new: 2, changed: 0, gone: 0, unchanged: 0 },
      treatments: { new: 2, changed: 0, gone: 0, unchanged: 0 },
    });
    const { data: history } = await admin.GET("/v1/admin/instances/{instanceId}/syncs", { params: { path: { instanceId } } });
    expect(history!.items.map((s) => s.id)).toEqual([syncId]);
    // The catalog as recorded is the provider's, whole and once.
    const { data: catalog } = await admin.GET("/v1/admin/instances/{instanceId}/catalog", { params: { path: { instanceId } } });
    expect(catalog!.clinics.map((c) => c.code)).toEqual(["loc-sodermalm", "loc-uppsala"]);
    expect(catalog!.treatments.map((t) => t.code)).toEqual(["CHK", "HYG"]);
    expect(catalog!.practitioners.map((p) => p.code)).toEqual(["prac-eva", "prac-nils"]);
    expect([...catalog!.clinics, ...catalog!.treatments, ...catalog!.practitioners].every((item) => item.active)).toBe(true);
  });

  it("runs again on a finished catalog without changing anything", async () => {
    const again = syncJob("--instance", instanceId);
    expect(await again.exited, again.output()).toBe(0);
    const { data: history } = await admin.GET("/v1/admin/instances/{instanceId}/syncs", { params: { path: { instanceId } } });
    expect(history!.items[0]).toMatchObject({
      state: "succeeded",
      counts: { clinics: { new: 0, changed: 0, gone: 0, unchanged: 2 }, treatments: { new: 0, unchanged: 2 } },
    });
  });
});
