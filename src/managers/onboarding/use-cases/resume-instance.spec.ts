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

describe("resuming a provider instance", () => {
  it("makes a paused instance active again", async () => {
    const { client, provider } = onboardingWithFakes();
    provider.add("kb", InstanceState.PAUSED);
    expect((await client.resumeInstance({ instanceId: "kb", reason: "back" })).state).toBe(InstanceState.ACTIVE);
  });

  it("never resumes a retired instance", async () => {
    const { client, provider } = onboardingWithFakes();
    provider.add("kb", InstanceState.RETIRED);
    expect(reasonOf(await failure(client.resumeInstance({ instanceId: "kb", reason: "" })))).toBe(ErrorReason.PROVIDER_INSTANCE_STATE);
  });

  it("needs an instance id", async () => {
    const { client } = onboardingWithFakes();
    expect(reasonOf(await failure(client.resumeInstance({ instanceId: "", reason: "" })))).toBe(ErrorReason.INVALID_ARGUMENT);
  });
});
