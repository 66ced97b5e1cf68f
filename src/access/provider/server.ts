import { runGrpcService } from "../../utilities/rpc/run-grpc-service.js";
import { adapterRegistry } from "./adapter-registry.js";
import { createProviderAccess } from "./provider-access.js";
import { loadProviderInstances, readResilience } from "./provider-instances.js";
import { ProviderAccessService } from "./v1/provider_access_pb.js";

await runGrpcService("provider-access", (logger) => {
  const file = process.env.BP_PROVIDERS_FILE ?? "config/providers.json";
  const instances = loadProviderInstances(file, Object.keys(adapterRegistry));
  logger.info(
    { instances: instances.map((i) => `${i.id} (${i.adapter}) → ${i.baseUrl}`) },
    `loaded ${instances.length} provider instances`,
  );
  const access = createProviderAccess({
    instances,
    log: logger,
    adapters: adapterRegistry,
    timeoutMs: process.env.BP_PROVIDER_TIMEOUT_MS ? Number(process.env.BP_PROVIDER_TIMEOUT_MS) : undefined,
    // e.g. BP_PROVIDER_RESILIENCE='{"breakerThreshold":10}': defaults for every instance in this environment.
    resilience: process.env.BP_PROVIDER_RESILIENCE
      ? readResilience(JSON.parse(process.env.BP_PROVIDER_RESILIENCE), "BP_PROVIDER_RESILIENCE")
      : undefined,
  });
  return (router) => router.service(ProviderAccessService, access);
});
