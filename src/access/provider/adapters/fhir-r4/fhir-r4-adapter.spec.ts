import { describe, expect, it } from "vitest";
import { ProviderError } from "../../provider-error.js";
import { createFhirR4Adapter } from "./fhir-r4-adapter.js";

const window = { start: new Date("2027-02-01T00:00:00Z"), end: new Date("2027-02-02T00:00:00Z") };

/** A FHIR server that answers from a table of URLs (path + query) to JSON bodies. */
function adapterAnswering(answers: (url: URL) => unknown) {
  const fetchImpl = (async (input: string | URL) => {
    const url = new URL(String(input));
    return new Response(JSON.stringify(answers(url)), { status: 200, headers: { "content-type": "application/fhir+json" } });
  }) as typeof fetch;
  return createFhirR4Adapter(
    { id: "fhir-test", adapter: "fhir-r4", baseUrl: "http://fhir.test/r4", apiKey: "t", timeZone: "Europe/Stockholm" },
    fetchImpl,
  );
}

const schedules = {
  resourceType: "Bundle",
  type: "searchset",
  entry: [
    {
      resource: {
        resourceType: "Schedule",
        id: "s1",
        serviceType: [{ coding: [{ system: "https://fhir.example.se/CodeSystem/service-type", code: "CHK" }] }],
        actor: [{ reference: "Location/l1" }, { reference: "Practitioner/p1", display: "Dr. Ek" }],
      },
    },
  ],
};
const slot = (id: string, start: string) => ({
  resource: {
    resourceType: "Slot",
    id,
    schedule: { reference: "Schedule/s1" },
    status: "free",
    start,
    end: start.replace(":00+01:00", ":30+01:00"),
  },
});

describe("the FHIR R4 adapter", () => {
  it("follows Bundle next links and reads instants with their offsets", async () => {
    const adapter = adapterAnswering((url) => {
      if (url.pathname.endsWith("/Schedule")) return schedules;
      if (!url.searchParams.get("_offset")) {
        return {
          resourceType: "Bundle",
          type: "searchset",
          link: [{ relation: "next", url: "http://fhir.test/r4/Slot?schedule=Schedule/s1&_offset=1" }],
          entry: [slot("a", "2027-02-01T09:00:00+01:00")],
        };
      }
      return { resourceType: "Bundle", type: "searchset", entry: [slot("b", "2027-02-01T10:00:00+01:00")] };
    });
    const slots = await adapter.findOpenSlots({ clinicCode: "l1", treatmentCode: "CHK", window }, AbortSignal.timeout(1000));
    expect(slots.map((s) => [s.providerSlotId, s.start.toISOString(), s.practitionerName])).toEqual([
      ["a", "2027-02-01T08:00:00.000Z", "Dr. Ek"],
      ["b", "2027-02-01T09:00:00.000Z", "Dr. Ek"],
    ]);
  });

  it("refuses a next link that leads to another server", async () => {
    const adapter = adapterAnswering((url) =>
      url.pathname.endsWith("/Schedule")
        ? schedules
        : { resourceType: "Bundle", type: "searchset", link: [{ relation: "next", url: "http://elsewhere.test/Slot?page=2" }], entry: [] },
    );
    const error = await adapter
      .findOpenSlots({ clinicCode: "l1", treatmentCode: "CHK", window }, AbortSignal.timeout(1000))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).message).toContain("leaves the server");
  });

  it("refuses an OperationOutcome where a Bundle belongs", async () => {
    const adapter = adapterAnswering(() => ({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "exception" }] }));
    const error = await adapter
      .findOpenSlots({ clinicCode: "l1", treatmentCode: "CHK", window }, AbortSignal.timeout(1000))
      .catch((e: unknown) => e);
    expect((error as ProviderError).kind).toBe("bad-response");
    expect((error as ProviderError).message).toContain("OperationOutcome");
  });
});
