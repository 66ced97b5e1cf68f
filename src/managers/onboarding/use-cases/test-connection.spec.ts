import { describe, expect, it } from "vitest";
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

describe("testing an instance's connection", () => {
  it("tries the stored instance and reports what it found", async () => {
    const { client, provider } = onboardingWithFakes();
    provider.add("kb");
    const report = await client.testConnection({ instanceId: "kb" });
    expect(report).toMatchObject({ bookingMode: "api", sampleClinicCode: "C1" });
    expect(provider.called("probe")[0]?.request).toMatchObject({ target: { case: "instanceId", value: "kb" } });
  });

  it("says what failed", async () => {
    const { client, provider } = onboardingWithFakes();
    provider.add("kb");
    provider.probe = () => {
      throw platformError(ErrorReason.PROVIDER_CREDENTIALS_REFUSED, "401");
    };
    expect(reasonOf(await failure(client.testConnection({ instanceId: "kb" })))).toBe(ErrorReason.PROVIDER_CREDENTIALS_REFUSED);
  });

  it("answers not found for an unknown instance", async () => {
    const { client } = onboardingWithFakes();
    expect(reasonOf(await failure(client.testConnection({ instanceId: "nope" })))).toBe(ErrorReason.PROVIDER_INSTANCE_NOT_FOUND);
  });
});
