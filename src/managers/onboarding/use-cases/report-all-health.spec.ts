import { describe, expect, it } from "vitest";
import { InstanceState } from "../../../contracts/v1/provider_instance_pb.js";
import { onboardingWithFakes } from "../testing/fake-layers.js";

describe("reporting every instance's health at once", () => {
  it("answers each instance's report, by id, leaving the retired out unless asked", async () => {
    const { client, provider } = onboardingWithFakes();
    provider.add("kb");
    provider.add("fhir", InstanceState.PAUSED);
    provider.add("old", InstanceState.RETIRED);
    const { reports } = await client.reportAllHealth({});
    expect(reports.map((r) => [r.instanceId, r.state])).toEqual([
      ["fhir", InstanceState.PAUSED],
      ["kb", InstanceState.ACTIVE],
    ]);
    expect(reports[0]).toMatchObject({ calls: 10, p95Ms: 100, lastHour: [{ calls: 10 }] });
    const all = await client.reportAllHealth({ includeRetired: true });
    expect(all.reports.map((r) => r.instanceId)).toEqual(["fhir", "kb", "old"]);
  });

  it("answers an empty list when there is no instance", async () => {
    const { client } = onboardingWithFakes();
    expect((await client.reportAllHealth({})).reports).toEqual([]);
  });
});
