import { describe, expect, it } from "vitest";
import { ErrorReason, platformError, reasonOf } from "../../../utilities/errors/platform-error.js";
import { onboardingWithFakes } from "../testing/fake-layers.js";

const spec = { id: "fhir-north", adapter: "fhir-r4", baseUrl: "http://moved.example", timeZone: "Europe/Stockholm" };

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

describe("updating a provider instance", () => {
  it("tries the new settings, then stores them", async () => {
    const { client, provider } = onboardingWithFakes();
    provider.add("fhir-north");
    const record = await client.updateInstance({ spec });
    expect(record.spec?.baseUrl).toBe("http://moved.example");
    expect(record.revision).toBe(2);
    expect(provider.calls.map((c) => c.verb)).toEqual(["probe", "update"]);
  });

  it("keeps the old settings when the new ones fail their try", async () => {
    const { client, provider } = onboardingWithFakes();
    provider.add("fhir-north");
    provider.probe = () => {
      throw platformError(ErrorReason.PROVIDER_PROTOCOL_MISMATCH, "a web page");
    };
    expect(reasonOf(await failure(client.updateInstance({ spec })))).toBe(ErrorReason.PROVIDER_PROTOCOL_MISMATCH);
    expect(provider.instances.get("fhir-north")?.spec?.baseUrl).toBe("http://x");
  });

  it("answers not found for an instance never registered", async () => {
    const { client, provider } = onboardingWithFakes();
    expect(reasonOf(await failure(client.updateInstance({ spec })))).toBe(ErrorReason.PROVIDER_INSTANCE_NOT_FOUND);
    expect(provider.called("probe")).toEqual([]);
  });
});
