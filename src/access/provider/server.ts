import { createDynamoDbClients, dynamoDbSettingsFromEnv } from "../../utilities/dynamodb/dynamodb-config.js";
import { prepareTable } from "../../utilities/dynamodb/table-design.js";
import { runGrpcService } from "../../utilities/rpc/run-grpc-service.js";
import { adapterRegistry } from "./adapter-registry.js";
import { createInstanceStore } from "./instance-store.js";
import { createProviderAccess } from "./provider-access.js";
import { providerUrlVariable, readResilience } from "./provider-instances.js";
import { seedInstancesIfEmpty } from "./seed-instances.js";
import { ProviderAccessService } from "./v1/provider_access_pb.js";

await runGrpcService("provider-access", async (logger) => {
  // Provider instances are data in the table; BP_PROVIDERS_FILE only seeds an empty one (npm start's demo providers).
  const settings = dynamoDbSettingsFromEnv();
  const { client, documents } = createDynamoDbClients(settings);
  await prepareTable(client, settings);
  const store = createInstanceStore({ documents, tableName: settings.tableName });
  const seedFile = process.env.BP_PROVIDERS_FILE;
  if (seedFile) {
    const seeded = await seedInstancesIfEmpty(store, seedFile, Object.keys(adapterRegistry));
    if (seeded.length > 0) logger.info({ seedFile, instances: seeded }, `seeded ${seeded.length} provider instances from ${seedFile}`);
  }
  const { instances } = await store.list();
  logger.info(
    { instances: instances.map((i) => `${i.id} (${i.adapter}, ${i.state}) → ${process.env[providerUrlVariable(i.id)] ?? i.baseUrl}`) },
    `serving ${instances.length} provider instances; changes in the table are seen on use, without a restart`,
  );
  const access = createProviderAccess({
    store,
    log: logger,
    adapters: adapterRegistry,
    // Local only: npm start points the demo instances at its simulators, wherever --port-offset puts them.
    urlOverride: (id) => process.env[providerUrlVariable(id)],
    // Another process's change to an instance is seen within this bound (the process that made it sees it at once).
    instanceCheckMs: Number(process.env.BP_PROVIDER_INSTANCE_CHECK_MS ?? 1000),
    availabilityCacheSeconds: process.env.BP_AVAILABILITY_CACHE_SECONDS ? Number(process.env.BP_AVAILABILITY_CACHE_SECONDS) : undefined,
    availabilityCacheBytes: process.env.BP_AVAILABILITY_CACHE_MB ? Number(process.env.BP_AVAILABILITY_CACHE_MB) * 1024 * 1024 : undefined,
    timeoutMs: process.env.BP_PROVIDER_TIMEOUT_MS ? Number(process.env.BP_PROVIDER_TIMEOUT_MS) : undefined,
    // e.g. BP_PROVIDER_RESILIENCE='{"breakerThreshold":10}': defaults for every instance in this environment.
    resilience: process.env.BP_PROVIDER_RESILIENCE
      ? readResilience(JSON.parse(process.env.BP_PROVIDER_RESILIENCE), "BP_PROVIDER_RESILIENCE")
      : undefined,
  });
  return (router) => router.service(ProviderAccessService, access);
});
