import { describe, expect, it } from "vitest";
import { SyncState } from "../../../contracts/v1/provider_catalog_pb.js";
import { ErrorReason, platformError, reasonOf } from "../../../utilities/errors/platform-error.js";
import { onboardingWithFakes } from "../testing/fake-layers.js";

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

describe("reporting an instance's health", () => {
  it("puts its recent calls beside its last successful sync and its last sync", async () => {
    const { client, provider, catalog, drive } = onboardingWithFakes();
    provider.add("kb");
    await drive({ instanceId: "kb" });
    provider.probe = () => {
      throw platformError(ErrorReason.PROVIDER_UNAVAILABLE, "down");
    };
    await drive({ instanceId: "kb" });
    const health = await client.reportHealth({ instanceId: "kb" });
    expect(health).toMatchObject({
      calls: 10,
      failures: 2,
      p50Ms: 40,
      p90Ms: 90,
      p95Ms: 100,
      p99Ms: 120,
      circuitState: "closed",
      lastErrorKind: "timeout",
    });
    expect(health.errors).toMatchObject([{ kind: "timeout", count: 2, rate: 0.2 }]);
    expect(health.lastHour).toMatchObject([{ calls: 10, failures: 2, p50Ms: 40, p95Ms: 100, errors: [{ kind: "timeout", count: 2 }] }]);
    expect(health.recordingSince).toBeDefined();
    expect(health.lastSuccessfulSync?.state).toBe(SyncState.SUCCEEDED);
    expect(health.lastSync?.state).toBe(SyncState.FAILED);
    expect(catalog.runs.size).toBe(2);
  });

  it("answers not found for an unknown instance", async () => {
    const { client } = onboardingWithFakes();
    expect(reasonOf(await failure(client.reportHealth({ instanceId: "nope" })))).toBe(ErrorReason.PROVIDER_INSTANCE_NOT_FOUND);
  });
});
