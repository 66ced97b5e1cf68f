import { ErrorReason, hasReason } from "../../utilities/errors/platform-error.js";
import type { InstanceStore } from "./instance-store.js";
import { readInstanceSeeds } from "./provider-instances.js";

/**
 * Registers the instances of a providers file (config/providers.json) when
 * the table has none yet, so that a first `npm start` has its three demo
 * providers, and later starts (and whatever was onboarded since) are left
 * alone, as config/demo-catalog.json seeds the catalog. Several processes may
 * seed at once: an instance another one registered first is fine.
 */
export async function seedInstancesIfEmpty(store: InstanceStore, file: string, knownAdapters: string[]): Promise<string[]> {
  const seeds = readInstanceSeeds(file, knownAdapters);
  if ((await store.list()).instances.length > 0) return [];
  const registered: string[] = [];
  for (const settings of seeds) {
    try {
      await store.register(settings);
      registered.push(settings.id);
    } catch (error) {
      if (!hasReason(error, ErrorReason.PROVIDER_INSTANCE_EXISTS)) throw error;
    }
  }
  return registered;
}
