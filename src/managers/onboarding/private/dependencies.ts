import type { Client } from "@connectrpc/connect";
import type { CatalogAccessService } from "../../../access/catalog/v1/catalog_access_pb.js";
import type { ProviderAccessService } from "../../../access/provider/v1/provider_access_pb.js";
import type { Logger } from "../../../utilities/logging/logger.js";

/** What the onboarding manager's use cases call: the two resource accesses, through their contracts, and a few utilities. */
export interface OnboardingManagerDeps {
  providerAccess: Client<typeof ProviderAccessService>;
  catalogAccess: Client<typeof CatalogAccessService>;
  log: Pick<Logger, "info" | "warn" | "error">;
  /** A fresh id for whoever drives a sync (its lease's owner). */
  newOwner?: () => string;
  sleep?: (ms: number) => Promise<void>;
  /** Runs work nobody waits for (a sync started over the API), outside the request that started it. */
  background?: (work: () => Promise<void>) => void;
}

/** The dependencies with every default filled in: what each use case receives. */
export type UseCaseDeps = Required<OnboardingManagerDeps>;
