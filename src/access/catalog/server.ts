import { createClient, createRouterTransport } from "@connectrpc/connect";
import { createDynamoDbClients, dynamoDbSettingsFromEnv } from "../../utilities/dynamodb/dynamodb-config.js";
import { prepareTable } from "../../utilities/dynamodb/table-design.js";
import { runGrpcService } from "../../utilities/rpc/run-grpc-service.js";
import { createCatalogAccess } from "./catalog-access.js";
import { seedCatalogIfEmpty } from "./seed-catalog.js";
import { CatalogAccessService } from "./v1/catalog_access_pb.js";

await runGrpcService("catalog-access", async (logger) => {
  const settings = dynamoDbSettingsFromEnv();
  const { client, documents } = createDynamoDbClients(settings);
  await prepareTable(client, settings);
  const catalog = createCatalogAccess({
    documents,
    tableName: settings.tableName,
    log: logger,
    // Another process's change to the catalog is seen here within this bound (this process's own at once).
    catalogCheckMs: process.env.BP_CATALOG_CHECK_MS ? Number(process.env.BP_CATALOG_CHECK_MS) : undefined,
  });
  const seedFile = process.env.BP_SEED_CATALOG;
  if (seedFile) {
    const local = createClient(
      CatalogAccessService,
      createRouterTransport(({ service }) => service(CatalogAccessService, catalog)),
    );
    if (await seedCatalogIfEmpty(local, seedFile)) logger.info({ seedFile }, `seeded the empty catalog from ${seedFile}`);
  }
  return (router) => router.service(CatalogAccessService, catalog);
});
