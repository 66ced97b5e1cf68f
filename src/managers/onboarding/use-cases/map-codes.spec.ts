import { describe, expect, it } from "vitest";
import { InstanceState } from "../../../contracts/v1/provider_instance_pb.js";
import { ErrorReason, platformError, reasonOf } from "../../../utilities/errors/platform-error.js";
import { onboardingWithFakes } from "../testing/fake-layers.js";

const request = {
  instanceId: "kb",
  clinics: [{ providerClinicCode: "C1", vaardenClinicId: "", create: true }],
  treatments: [{ providerTreatmentCode: "CHK", vaardenTreatmentId: "dental-checkup" }],
};

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

describe("mapping an instance's codes", () => {
  it("hands the mappings to the catalog once the instance is known", async () => {
    const { client, provider, catalog } = onboardingWithFakes();
    provider.add("kb");
    expect((await client.mapCodes(request)).activeOfferings).toBe(1);
    expect(catalog.mapped).toMatchObject([request]);
  });

  it("maps nothing for an instance that does not exist: no mapping without its instance", async () => {
    const { client, catalog } = onboardingWithFakes();
    expect(reasonOf(await failure(client.mapCodes(request)))).toBe(ErrorReason.PROVIDER_INSTANCE_NOT_FOUND);
    expect(catalog.mapped).toEqual([]);
  });

  it("maps nothing for a retired instance", async () => {
    const { client, provider, catalog } = onboardingWithFakes();
    provider.add("kb", InstanceState.RETIRED);
    expect(reasonOf(await failure(client.mapCodes(request)))).toBe(ErrorReason.PROVIDER_INSTANCE_STATE);
    expect(catalog.mapped).toEqual([]);
  });

  it("passes the catalog's refusal on, reason and all", async () => {
    const { client, provider, catalog } = onboardingWithFakes();
    provider.add("kb");
    catalog.failNext("mapProviderCodes", platformError(ErrorReason.MAPPING_TARGET_UNKNOWN, "no treatment dental-x"));
    expect(reasonOf(await failure(client.mapCodes(request)))).toBe(ErrorReason.MAPPING_TARGET_UNKNOWN);
  });
});
