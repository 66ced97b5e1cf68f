import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";

/**
 * The one table. Keys are generic; what they hold is decided by each resource
 * access, which writes its access patterns down next to its key design
 * (docs/data-model.md has them all). TTL (`ttl`, epoch seconds) is for clean-up
 * only: expiry is always enforced in conditions and reads, never by waiting for
 * DynamoDB to delete an item.
 */
export const keys = { pk: "pk", sk: "sk", gsi1pk: "gsi1pk", gsi1sk: "gsi1sk", ttl: "ttl" } as const;
export const gsi1 = "gsi1";

/** Creates the table if it is missing, waits until it is ACTIVE and enables TTL. Safe to call from several processes at once. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: keys.pk, AttributeType: "S" },
          { AttributeName: keys.sk, AttributeType: "S" },
          { AttributeName: keys.gsi1pk, AttributeType: "S" },
          { AttributeName: keys.gsi1sk, AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: keys.pk, KeyType: "HASH" },
          { AttributeName: keys.sk, KeyType: "RANGE" },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: gsi1,
            KeySchema: [
              { AttributeName: keys.gsi1pk, KeyType: "HASH" },
              { AttributeName: keys.gsi1sk, KeyType: "RANGE" },
            ],
            Projection: { ProjectionType: "ALL" },
          },
        ],
      }),
    );
  } catch (error) {
    // Another process created it first: fine.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (Table?.TableStatus === "ACTIVE") break;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    if (attempt > 300) throw new Error(`table ${tableName} did not become ACTIVE`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: keys.ttl, Enabled: true } }),
    );
  } catch (error) {
    // Already enabled (ValidationException "TimeToLive is already enabled"): nothing to do.
    if ((error as Error).name !== "ValidationException") throw error;
  }
}

/**
 * What a service does with the table when it starts. On DynamoDB Local (an
 * endpoint is set) it creates the table, so that `npm start` and the tests need
 * nothing prepared. On AWS the table is infrastructure (Terraform in infra/
 * owns its keys, capacity, backups and encryption), and a service's role has
 * no right to create one: it only checks the table is there and says so
 * plainly when it is not, instead of failing on the first request.
 */
export async function prepareTable(client: DynamoDBClient, settings: { endpoint?: string; tableName: string }): Promise<void> {
  if (settings.endpoint !== undefined) return ensureTable(client, settings.tableName);
  try {
    await client.send(new DescribeTableCommand({ TableName: settings.tableName }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      throw new Error(
        `DynamoDB table ${settings.tableName} does not exist: on AWS the table is created by Terraform (infra/), not by the services`,
      );
    }
    throw error;
  }
}
