import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { currentDeadline } from "../rpc/deadline.js";

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

/** One DynamoDB request (each attempt) may take this long: well inside any request's deadline. */
export const requestTimeoutMs = 2000;

export function createDynamoDbClients(settings: DynamoDbSettings): { client: DynamoDBClient; documents: DynamoDBDocumentClient } {
  const local = settings.endpoint !== undefined;
  const client = new DynamoDBClient({
    region: settings.region,
    endpoint: settings.endpoint,
    // DynamoDB Local accepts any credentials; don't make developers configure AWS for it.
    credentials: local && !process.env.AWS_ACCESS_KEY_ID ? { accessKeyId: "local", secretAccessKey: "local" } : undefined,
    // A database that stops answering costs one attempt this long, not the SDK's defaults (no socket timeout).
    requestHandler: { connectionTimeout: 1000, requestTimeout: requestTimeoutMs },
    maxAttempts: 3,
  });
  const documents = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  // Every call also stops when the request it serves runs out of time (src/utilities/rpc/deadline.ts).
  const send = documents.send.bind(documents) as (command: unknown, options?: { abortSignal?: AbortSignal }) => Promise<unknown>;
  (documents as { send: typeof send }).send = (command, options = {}) =>
    send(command, { ...options, abortSignal: options.abortSignal ?? currentDeadline()?.signal });
  return { client, documents };
}
