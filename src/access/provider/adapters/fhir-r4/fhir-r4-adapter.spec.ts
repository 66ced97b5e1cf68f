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

  describe("on a server with scheduling operations", () => {
    /** A server with the given operations, recording every request's method, path and body. */
    function scheduler(definitionBase: string, answers: (path: string, body: unknown) => unknown) {
      const requests: Array<{ method: string; path: string; body: unknown }> = [];
      const fetchImpl = (async (input: string | URL, init?: RequestInit) => {
        const url = new URL(String(input));
        const body = init?.body ? JSON.parse(String(init.body)) : undefined;
        requests.push({ method: init?.method ?? "GET", path: url.pathname, body });
        const answer = url.pathname.endsWith("/metadata")
          ? {
              resourceType: "CapabilityStatement",
              rest: [
                {
                  mode: "server",
                  resource: [
                    {
                      type: "Appointment",
                      operation: ["find", "hold", "book"].map((code) => ({ name: code, definition: `${definitionBase}${code}` })),
                    },
                  ],
                },
              ],
            }
          : answers(url.pathname, body);
        return new Response(JSON.stringify(answer), { status: 200, headers: { "content-type": "application/fhir+json" } });
      }) as typeof fetch;
      const adapter = createFhirR4Adapter(
        { id: "fhir-test", adapter: "fhir-r4", baseUrl: "http://fhir.test/r4", apiKey: "t", timeZone: "Europe/Stockholm" },
        fetchImpl,
      );
      return { adapter, requests };
    }
    const pending = { resourceType: "Appointment", id: "a1", meta: { versionId: "1" }, status: "pending", participant: [] };

    it("discovers them, declares holds, and holds by the guide's parameter names (Argonaut: appt-id)", async () => {
      const { adapter, requests } = scheduler("http://fhir.org/guides/argonaut-scheduling/OperationDefinition/appointment-", (path) =>
        path.endsWith("/$hold")
          ? { resourceType: "Bundle", type: "searchset", entry: [{ resource: pending }] }
          : { ...pending, meta: { versionId: "2" } },
      );
      expect(adapter.capabilities.supportsHold).toBe(false);
      await adapter.discover!(AbortSignal.timeout(1000));
      expect(adapter.capabilities.supportsHold).toBe(true);
      const hold = await adapter.holdSlot!(
        { providerSlotId: "proposed-1", reference: "res-1", holdSeconds: 60 },
        AbortSignal.timeout(1000),
      );
      expect(hold).toMatchObject({ providerBookingRef: "a1", status: "held" });
      expect(requests.find((r) => r.path.endsWith("/$hold"))?.body).toEqual({
        resourceType: "Parameters",
        parameter: [{ name: "appt-id", valueUri: "Appointment/proposed-1" }],
      });
      // The pending Appointment is marked ours, as findBooking looks for it.
      expect(requests.at(-1)).toMatchObject({ method: "PUT", path: "/r4/Appointment/a1", body: { identifier: [{ value: "res-1" }] } });
    });

    it("reads a $book answered with only an OperationOutcome (as IHE says a refusal is) as slot-unavailable", async () => {
      const { adapter } = scheduler("https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-", (path) =>
        path.endsWith("/$book")
          ? {
              resourceType: "Bundle",
              type: "searchset",
              entry: [
                { resource: { resourceType: "OperationOutcome", issue: [{ severity: "fatal", code: "not-found", diagnostics: "gone" }] } },
              ],
            }
          : pending,
      );
      await adapter.discover!(AbortSignal.timeout(1000));
      const patient = { name: "P", personalIdentityNumber: "", dateOfBirth: "", phone: "0", email: "p@example.se" };
      const error = await adapter.confirmHold!({ providerBookingRef: "a1", patient, note: "" }, AbortSignal.timeout(1000)).catch(
        (e: unknown) => e,
      );
      expect((error as ProviderError).kind).toBe("slot-unavailable");
    });
  });
});
