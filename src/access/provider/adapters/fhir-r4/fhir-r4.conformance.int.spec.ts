import { describeProviderConformance } from "../../conformance/provider-conformance.js";
import { createFhirR4Adapter } from "./fhir-r4-adapter.js";
import { startFhirSimulator } from "./simulator/fhir-simulator.js";

describeProviderConformance({
  adapter: "fhir-r4",
  startSimulator: () => startFhirSimulator({ token: "conformance-token" }),
  createAdapter: (baseUrl, credentials = "right") =>
    createFhirR4Adapter({
      id: "conformance",
      adapter: "fhir-r4",
      baseUrl,
      apiKey: credentials === "right" ? "conformance-token" : "wrong-token",
      timeZone: "Europe/Stockholm",
    }),
  checksCredentials: true,
  // Södermalm opens every day, so both DST Sundays have slots.
  fixture: { clinicCode: "loc-sodermalm", treatmentCode: "CHK", timeZone: "Europe/Stockholm" },
  // Another client creating its own Appointment for the slot.
  bookElsewhere: async (url, { providerSlotId, reference }) => {
    const response = await fetch(`${url}/Appointment`, {
      method: "POST",
      headers: { authorization: "Bearer conformance-token", "content-type": "application/fhir+json" },
      body: JSON.stringify({
        resourceType: "Appointment",
        status: "booked",
        slot: [{ reference: `Slot/${providerSlotId}` }],
        identifier: [{ system: "https://front-desk.example/booking", value: reference }],
        participant: [{ actor: { display: "Front Desk Patient" }, status: "accepted" }],
      }),
    });
    return response.status === 201 ? "booked" : "refused";
  },
});
