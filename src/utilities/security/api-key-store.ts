import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { queryAll } from "../dynamodb/batch.js";
import { gsi1 } from "../dynamodb/table-design.js";
import { displayPrefix, generateApiKey, hashSecret, type KeyEnvironment, parseApiKey, type Scope, secretMatches } from "./api-keys.js";

/*
 * Where API keys live: the platform's one table, items of their own.
 *
 * | item    | pk               | sk  | gsi1pk            | gsi1sk                      |
 * |---------|------------------|-----|-------------------|-----------------------------|
 * | api key | APIKEY#<keyId>   | KEY | CLIENT#<clientId> | APIKEY#<createdAt>#<keyId>  |
 *
 * 1. verify a key            GetItem APIKEY#<keyId> (the id is in the key), compare hashes
 * 2. a client's keys          Query gsi1 CLIENT#<clientId>, begins_with APIKEY#
 * 3. revoke                   UpdateItem SET revokedAt (attribute_exists(pk))
 *
 * Part of the security utility rather than a resource access service: the
 * REST API (client layer) verifies every request with it, and clients call
 * only managers and utilities.
 */
export interface ApiKeyRecord {
  keyId: string;
  prefix: string;
  clientId: string;
  name: string;
  scopes: Scope[];
  createdAt: string;
  revokedAt?: string;
}

export interface ApiKeyStore {
  /** Makes a key; its value is in the answer and nowhere else, ever. */
  create(request: {
    clientId: string;
    name: string;
    scopes: Scope[];
    environment: KeyEnvironment;
  }): Promise<{ value: string; record: ApiKeyRecord }>;
  /** Stores a key whose value is given (the development key, a local setting); changes nothing when it exists. */
  ensure(request: { value: string; clientId: string; name: string; scopes: Scope[] }): Promise<ApiKeyRecord>;
  /** The key's record when the value is one of ours, not revoked; undefined otherwise. */
  verify(value: string): Promise<ApiKeyRecord | undefined>;
  list(clientId?: string): Promise<ApiKeyRecord[]>;
  /** False when there is no such key. */
  revoke(keyId: string, at?: Date): Promise<boolean>;
}

const keyOf = (keyId: string) => ({ pk: `APIKEY#${keyId}`, sk: "KEY" });

export function createApiKeyStore(documents: DynamoDBDocumentClient, tableName: string, now = () => new Date()): ApiKeyStore {
  const put = async (record: ApiKeyRecord, hash: string) => {
    await documents.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...keyOf(record.keyId),
          gsi1pk: `CLIENT#${record.clientId}`,
          gsi1sk: `APIKEY#${record.createdAt}#${record.keyId}`,
          type: "api-key",
          ...record,
          hash,
        },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
  };
  const read = async (keyId: string) => {
    const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: keyOf(keyId), ConsistentRead: true }));
    return Item;
  };

  return {
    async create({ clientId, name, scopes, environment }) {
      if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(clientId)) throw new Error("a client id is lower-case letters, digits and dashes");
      if (scopes.length === 0) throw new Error("a key needs at least one scope");
      const key = generateApiKey(environment);
      const record: ApiKeyRecord = { keyId: key.keyId, prefix: key.prefix, clientId, name, scopes, createdAt: now().toISOString() };
      await put(record, key.hash);
      return { value: key.value, record };
    },

    async ensure({ value, clientId, name, scopes }) {
      const parsed = parseApiKey(value);
      if (!parsed) throw new Error("not an API key of this platform (bp_<env>_<12 letters or digits>_<43 base64url characters>)");
      const existing = await read(parsed.keyId);
      if (existing) return toRecord(existing);
      const record: ApiKeyRecord = {
        keyId: parsed.keyId,
        prefix: displayPrefix(parsed.environment, parsed.keyId),
        clientId,
        name,
        scopes,
        createdAt: now().toISOString(),
      };
      try {
        await put(record, hashSecret(parsed.secret));
      } catch (error) {
        // Two processes ensured it at once: the other one stored it.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      return record;
    },

    async verify(value) {
      const parsed = parseApiKey(value);
      if (!parsed) return undefined;
      const item = await read(parsed.keyId);
      if (!item || typeof item.hash !== "string" || item.revokedAt || !secretMatches(parsed.secret, item.hash)) return undefined;
      return toRecord(item);
    },

    async list(clientId) {
      const items = clientId
        ? await queryAll(documents, {
            TableName: tableName,
            IndexName: gsi1,
            KeyConditionExpression: "gsi1pk = :client AND begins_with(gsi1sk, :key)",
            ExpressionAttributeValues: { ":client": `CLIENT#${clientId}`, ":key": "APIKEY#" },
          })
        : await scanKeys(documents, tableName);
      return items.map(toRecord).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },

    async revoke(keyId, at = now()) {
      try {
        await documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keyOf(keyId),
            UpdateExpression: "SET revokedAt = if_not_exists(revokedAt, :at)",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: { ":at": at.toISOString() },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}

/** Every key of every client: an operator's listing, rare, so a filtered scan of the small key population is fine. */
async function scanKeys(documents: DynamoDBDocumentClient, tableName: string) {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: "#type = :type",
        ExpressionAttributeNames: { "#type": "type" },
        ExpressionAttributeValues: { ":type": "api-key" },
        ExclusiveStartKey,
      }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

function toRecord(item: Record<string, unknown>): ApiKeyRecord {
  return {
    keyId: String(item.keyId),
    prefix: String(item.prefix),
    clientId: String(item.clientId),
    name: String(item.name ?? ""),
    scopes: (item.scopes as Scope[] | undefined) ?? [],
    createdAt: String(item.createdAt),
    ...(typeof item.revokedAt === "string" ? { revokedAt: item.revokedAt } : {}),
  };
}
