import { describe, expect, it } from "vitest";
import { InstanceState } from "../../../contracts/v1/provider_instance_pb.js";
import { ErrorReason, platformError, reasonOf } from "../../../utilities/errors/platform-error.js";
import { catalogOf, onboardingWithFakes } from "../testing/fake-layers.js";

const spec = { id: "fhir-north", adapter: "fhir-r4", baseUrl: "http://fhir.example", timeZone: "Europe/Stockholm" };

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

describe("registering a provider instance", () => {
  it("tries the instance first, then stores it, active", async () => {
    const { client, provider } = onboardingWithFakes();
    const record = await client.registerInstance({ spec });
    expect(record.state).toBe(InstanceState.ACTIVE);
    expect(provider.calls.map((c) => c.verb)).toEqual(["probe", "register"]);
  });

  it("stores nothing when the provider refuses the credentials, and says so", async () => {
    const { client, provider } = onboardingWithFakes();
    provider.probe = () => {
      throw platformError(ErrorReason.PROVIDER_CREDENTIALS_REFUSED, "refused");
    };
    expect(reasonOf(await failure(client.registerInstance({ spec })))).toBe(ErrorReason.PROVIDER_CREDENTIALS_REFUSED);
    expect(provider.called("register")).toEqual([]);
    expect(provider.instances.size).toBe(0);
  });

  it("refuses a second registration of the same id before bothering the provider", async () => {
    const { client, provider } = onboardingWithFakes();
    provider.add("fhir-north");
    expect(reasonOf(await failure(client.registerInstance({ spec })))).toBe(ErrorReason.PROVIDER_INSTANCE_EXISTS);
    expect(provider.called("probe")).toEqual([]);
  });

  it("needs the instance's settings", async () => {
    const { client } = onboardingWithFakes();
    expect(reasonOf(await failure(client.registerInstance({})))).toBe(ErrorReason.INVALID_ARGUMENT);
  });
});

describe("a dry run", () => {
  it("reports what the adapter can do, the provider's catalog and a sample search, and stores nothing", async () => {
    const { client, provider } = onboardingWithFakes();
    provider.catalogs.set("fhir-north", catalogOf(["loc-1", "loc-2"], ["CHK", "HYG"]));
    const report = await client.dryRunInstance({ spec });
    expect(report).toMatchObject({ bookingMode: "api", listsCatalog: true, sampleClinicCode: "C1", sampleTreatmentCode: "CHK" });
    expect(report.catalog?.clinics.map((c) => c.code)).toEqual(["loc-1", "loc-2"]);
    expect(provider.called("register")).toEqual([]);
  });

  it("fails as the registration would", async () => {
    const { client, provider } = onboardingWithFakes();
    provider.probe = () => {
      throw platformError(ErrorReason.PROVIDER_UNREACHABLE, "nothing answered");
    };
    expect(reasonOf(await failure(client.dryRunInstance({ spec })))).toBe(ErrorReason.PROVIDER_UNREACHABLE);
  });
});
