import { randomUUID } from "node:crypto";
import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { createDynamoDbClients } from "./dynamodb-config.js";
import { ensureTable } from "./table-design.js";

/** A fresh, uniquely named table in the test run's DynamoDB Local, so test files never see each other's data. */
export async function createTestTable(endpoint: string) {
  const tableName = `test-${randomUUID()}`;
  const { client, documents } = createDynamoDbClients({ endpoint, tableName, region: "eu-north-1" });
  await ensureTable(client, tableName);
  return {
    tableName,
    client,
    documents,
    async drop() {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    },
  };
}
