import { describe, expect, it } from "vitest";
import { InstanceState } from "../../../contracts/v1/provider_instance_pb.js";
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

describe("retiring a provider instance", () => {
  it("stops serving it, then takes its offerings and clinics out of the catalog", async () => {
    const { client, provider, catalog } = onboardingWithFakes();
    provider.add("kb");
    expect((await client.retireInstance({ instanceId: "kb", reason: "left" })).state).toBe(InstanceState.RETIRED);
    expect(catalog.withdrawn).toEqual(["kb"]);
  });

  it("is mended by retiring again when taking it out of the catalog failed", async () => {
    const { client, provider, catalog } = onboardingWithFakes();
    provider.add("kb");
    catalog.failNext("withdrawInstance", platformError(ErrorReason.WRITE_CONFLICT, "busy table"));
    expect(reasonOf(await failure(client.retireInstance({ instanceId: "kb", reason: "left" })))).toBe(ErrorReason.WRITE_CONFLICT);
    expect(provider.instances.get("kb")?.state).toBe(InstanceState.RETIRED);
    await client.retireInstance({ instanceId: "kb", reason: "left" });
    expect(catalog.withdrawn).toEqual(["kb"]);
  });

  it("answers not found for an unknown instance, and withdraws nothing", async () => {
    const { client, catalog } = onboardingWithFakes();
    expect(reasonOf(await failure(client.retireInstance({ instanceId: "nope", reason: "" })))).toBe(
      ErrorReason.PROVIDER_INSTANCE_NOT_FOUND,
    );
    expect(catalog.withdrawn).toEqual([]);
  });
});
