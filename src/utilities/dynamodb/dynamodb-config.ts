import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export interface DynamoDbSettings {
  /** Absent for real AWS DynamoDB; DynamoDB Local's URL otherwise. */
  endpoint?: string;
  tableName: string;
  region: string;
}

/** DYNAMODB_ENDPOINT (absent = AWS), DYNAMODB_TABLE, AWS_REGION: production differs only here. */
export function dynamoDbSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): DynamoDbSettings {
  return {
    endpoint: env.DYNAMODB_ENDPOINT || undefined,
    tableName: env.DYNAMODB_TABLE || "booking-platform",
    region: env.AWS_REGION || "eu-north-1",
  };
}

export function createDynamoDbClients(settings: DynamoDbSettings): { client: DynamoDBClient; documents: DynamoDBDocumentClient } {
  const local = settings.endpoint !== undefined;
  const client = new DynamoDBClient({
    region: settings.region,
    endpoint: settings.endpoint,
    // DynamoDB Local accepts any credentials; don't make developers configure AWS for it.
    credentials: local && !process.env.AWS_ACCESS_KEY_ID ? { accessKeyId: "local", secretAccessKey: "local" } : undefined,
  });
  const documents = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { client, documents };
}
