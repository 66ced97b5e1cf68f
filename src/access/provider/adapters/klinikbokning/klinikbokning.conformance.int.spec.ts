import { describeProviderConformance } from "../../conformance/provider-conformance.js";
import { createKlinikbokningAdapter } from "./klinikbokning-adapter.js";
import { bookAtFrontDesk } from "./simulator/front-desk.js";
import { startKlinikbokningSimulator } from "./simulator/klinikbokning-simulator.js";

describeProviderConformance({
  adapter: "klinikbokning",
  startSimulator: () => startKlinikbokningSimulator({ apiKey: "conformance-key" }),
  createAdapter: (baseUrl, credentials = "right") =>
    createKlinikbokningAdapter({
      id: "conformance",
      adapter: "klinikbokning",
      baseUrl,
      apiKey: credentials === "right" ? "conformance-key" : "wrong-key",
      timeZone: "Europe/Stockholm",
    }),
  checksCredentials: true,
  // Södermalm opens every day, weekends included, so both DST Sundays have slots.
  fixture: { clinicCode: "KB-STH-SOD", treatmentCode: "UND30", timeZone: "Europe/Stockholm" },
  // The front desk, another API client of the same server, competes for the same slots.
  bookElsewhere: bookAtFrontDesk,
});
