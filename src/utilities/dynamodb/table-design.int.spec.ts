import { randomUUID } from "node:crypto";
import { DeleteTableCommand, DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createDynamoDbClients } from "./dynamodb-config.js";
import { prepareTable } from "./table-design.js";

/**
 * Run against DynamoDB Local either way; what differs is whether the settings
 * say "local" (an endpoint) or "AWS" (none), which is what a service decides on.
 */
describe("preparing the table when a service starts", () => {
  const endpoint = inject("dynamodbEndpoint");
  const tableName = `test-${randomUUID()}`;
  const { client } = createDynamoDbClients({ endpoint, tableName, region: "eu-north-1" });
  afterAll(async () => {
    await client.send(new DeleteTableCommand({ TableName: tableName })).catch((error: Error) => {
      // Only a test that failed before creating it leaves nothing to delete.
      if (error.name !== "ResourceNotFoundException") throw error;
    });
    client.destroy();
  });

  it("on AWS refuses to start without the table, and does not create it: Terraform owns it", async () => {
    await expect(prepareTable(client, { tableName })).rejects.toThrow(`DynamoDB table ${tableName} does not exist`);
    await expect(client.send(new DescribeTableCommand({ TableName: tableName }))).rejects.toThrow();
  });

  it("on DynamoDB Local creates it, and on AWS then finds it", async () => {
    await prepareTable(client, { endpoint, tableName });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.TableStatus).toBe("ACTIVE");
    await expect(prepareTable(client, { tableName })).resolves.toBeUndefined();
  });
});
