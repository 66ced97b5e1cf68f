import { describe, expect, it } from "vitest";
import { ErrorReason, reasonOf } from "../../../utilities/errors/platform-error.js";
import { onboardingWithFakes } from "../testing/fake-layers.js";

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

describe("looking onboarding up", () => {
  it("lists the adapters provider access speaks", async () => {
    const { client } = onboardingWithFakes();
    expect((await client.listAdapters({})).adapters).toEqual(["fhir-r4", "klinikbokning", "smart-scheduling-links"]);
  });

  it("lists and gets instances, and answers not found for an unknown one", async () => {
    const { client, provider } = onboardingWithFakes();
    provider.add("a");
    provider.add("b");
    expect((await client.listInstances({})).instances.map((i) => i.spec?.id)).toEqual(["a", "b"]);
    expect((await client.getInstance({ instanceId: "a" })).spec?.id).toBe("a");
    expect(reasonOf(await failure(client.getInstance({ instanceId: "c" })))).toBe(ErrorReason.PROVIDER_INSTANCE_NOT_FOUND);
  });

  it("shows a provider's catalog and syncs only for an instance that exists", async () => {
    const { client, provider, drive } = onboardingWithFakes();
    provider.add("a");
    await drive({ instanceId: "a" });
    expect((await client.getProviderCatalog({ instanceId: "a" })).clinics.map((c) => c.clinic?.code)).toEqual(["C1"]);
    const { syncs } = await client.listSyncs({ instanceId: "a", limit: 5 });
    expect(syncs).toHaveLength(1);
    expect((await client.getSync({ syncId: syncs[0]!.id })).instanceId).toBe("a");
    expect(reasonOf(await failure(client.getProviderCatalog({ instanceId: "nope" })))).toBe(ErrorReason.PROVIDER_INSTANCE_NOT_FOUND);
    expect(reasonOf(await failure(client.listSyncs({ instanceId: "nope", limit: 5 })))).toBe(ErrorReason.PROVIDER_INSTANCE_NOT_FOUND);
    expect(reasonOf(await failure(client.getSync({ syncId: "sync-unknown" })))).toBe(ErrorReason.SYNC_NOT_FOUND);
  });
});
