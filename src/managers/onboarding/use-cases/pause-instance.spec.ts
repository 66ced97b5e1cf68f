import { describe, expect, it } from "vitest";
import { InstanceState } from "../../../contracts/v1/provider_instance_pb.js";
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

describe("pausing a provider instance", () => {
  it("pauses an active instance, and pausing it again changes nothing", async () => {
    const { client, provider } = onboardingWithFakes();
    provider.add("kb");
    expect((await client.pauseInstance({ instanceId: "kb", reason: "outage" })).state).toBe(InstanceState.PAUSED);
    expect((await client.pauseInstance({ instanceId: "kb", reason: "outage" })).state).toBe(InstanceState.PAUSED);
  });

  it("refuses a retired instance", async () => {
    const { client, provider } = onboardingWithFakes();
    provider.add("kb", InstanceState.RETIRED);
    expect(reasonOf(await failure(client.pauseInstance({ instanceId: "kb", reason: "" })))).toBe(ErrorReason.PROVIDER_INSTANCE_STATE);
  });

  it("answers not found for an unknown instance", async () => {
    const { client } = onboardingWithFakes();
    expect(reasonOf(await failure(client.pauseInstance({ instanceId: "nope", reason: "" })))).toBe(ErrorReason.PROVIDER_INSTANCE_NOT_FOUND);
  });
});
