import type { AdapterFactory } from "./adapter.js";
import { createKlinikbokningAdapter } from "./adapters/klinikbokning/klinikbokning-adapter.js";

/** Every protocol the platform speaks, by the name provider instances use in config/providers.json. */
export const adapterRegistry: Record<string, AdapterFactory> = {
  klinikbokning: createKlinikbokningAdapter,
};
