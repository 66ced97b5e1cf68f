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
});
