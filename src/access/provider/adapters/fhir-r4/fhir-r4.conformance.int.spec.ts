import { describeProviderConformance } from "../../conformance/provider-conformance.js";
import { createFhirR4Adapter } from "./fhir-r4-adapter.js";
import { startFhirSimulator } from "./simulator/fhir-simulator.js";
import { bookAsAnotherClient } from "./simulator/other-client.js";

// The server holds an IHE $hold this long; the adapter is told so, as an instance's options would.
const holdSeconds = 3;

const servers = [
  { name: "a plain FHIR server", operations: "none", transactions: true },
  { name: "a plain FHIR server without transactions", operations: "none", transactions: false },
  { name: "a FHIR server with the IHE scheduling operations", operations: "ihe", transactions: true },
] as const;

for (const { name, operations, transactions } of servers) {
  describeProviderConformance({
    adapter: `fhir-r4 on ${name}`,
    startSimulator: () => startFhirSimulator({ token: "conformance-token", operations, transactions, holdSeconds }),
    createAdapter: (baseUrl, credentials = "right") =>
      createFhirR4Adapter({
        id: "conformance",
        adapter: "fhir-r4",
        baseUrl,
        apiKey: credentials === "right" ? "conformance-token" : "wrong-token",
        timeZone: "Europe/Stockholm",
        options: { holdSeconds },
      }),
    checksCredentials: true,
    // Södermalm opens every day, so both DST Sundays have slots.
    fixture: { clinicCode: "loc-sodermalm", treatmentCode: "CHK", timeZone: "Europe/Stockholm" },
    // The front desk, another client of the same server, books as a well-behaved client does.
    bookElsewhere: (url, booking) => bookAsAnotherClient(url, "conformance-token", operations, booking),
  });
}
