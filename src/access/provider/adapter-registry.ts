import type { AdapterFactory } from "./adapter.js";
import { createFhirR4Adapter } from "./adapters/fhir-r4/fhir-r4-adapter.js";
import { createKlinikbokningAdapter } from "./adapters/klinikbokning/klinikbokning-adapter.js";
import { createSmartSchedulingLinksAdapter } from "./adapters/smart-scheduling-links/smart-scheduling-links-adapter.js";
// scaffold:imports (npm run provider:new adds new adapters' imports above this line)

/** Every protocol the platform speaks, by the name provider instances use in config/providers.json. */
export const adapterRegistry: Record<string, AdapterFactory> = {
  klinikbokning: createKlinikbokningAdapter,
  "fhir-r4": createFhirR4Adapter,
  "smart-scheduling-links": createSmartSchedulingLinksAdapter,
  // scaffold:entries (npm run provider:new adds new adapters above this line)
};
