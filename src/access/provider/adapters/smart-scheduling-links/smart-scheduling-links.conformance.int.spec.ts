import { describeProviderConformance } from "../../conformance/provider-conformance.js";
import { smartServiceType, startSmartSimulator } from "./simulator/smart-simulator.js";
import { createSmartSchedulingLinksAdapter } from "./smart-scheduling-links-adapter.js";

describeProviderConformance({
  adapter: "smart-scheduling-links",
  // max-age 0: every search revalidates, so injected faults are seen at once.
  startSimulator: () => startSmartSimulator({ maxAgeSeconds: 0 }),
  createAdapter: (baseUrl) =>
    createSmartSchedulingLinksAdapter({
      id: "conformance",
      adapter: "smart-scheduling-links",
      baseUrl,
      timeZone: "Europe/Stockholm",
      options: { states: ["AB"] },
    }),
  // A public feed: there are no credentials to refuse.
  checksCredentials: false,
  fixture: { clinicCode: "smart-sodermalm", treatmentCode: smartServiceType.code, timeZone: "Europe/Stockholm" },
});
