import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { ErrorReason, platformError } from "../../utilities/errors/platform-error.js";
import type { ResilienceSettings } from "./private/resilience.js";

/*
 * Provider instances are data, owned by provider access: which protocol a
 * clinic chain speaks, where, with which credentials (by reference only: the
 * name of an environment variable or a Secrets Manager secret, never the
 * secret), and whether it is active, paused or retired.
 *
 * Key design (single table; docs/data-model.md has every entity):
 *
 * | item              | pk                | sk            | attributes                                              |
 * |-------------------|-------------------|---------------|---------------------------------------------------------|
 * | provider instance | PROVIDER#INSTANCE | INSTANCE#<id> | adapter, baseUrl, credentials, timeZone, resilience,    |
 * |                   |                   |               | options, displayName, state, stateReason, revision, …   |
 * | version stamp     | PROVIDER#INSTANCE | VERSION       | version: goes up by one with every change of any item   |
 *
 * Access patterns:
 * 1. has anything changed since I loaded?  GetItem VERSION (consistent): one small read, on use
 * 2. every instance (and the stamp)        Query pk = PROVIDER#INSTANCE (consistent)
 * 3. one instance                          GetItem INSTANCE#<id> (consistent)
 * 4. register                              TransactWriteItems: Put INSTANCE#<id> if attribute_not_exists(pk),
 *                                          Update VERSION ADD version 1
 * 5. change settings or state              TransactWriteItems: Update INSTANCE#<id> if revision = <read>,
 *                                          Update VERSION ADD version 1
 *
 * The state is an attribute of the instance's own item, written in the same
 * put, so there is never an instance without its state. The stamp changes in
 * the same transaction as the instance, so a process that sees the old stamp
 * has seen every instance as it was, and one that sees a new stamp reloads.
 * Instances are few (hundreds at most), so one partition holds them all.
 * Nothing is ever deleted: a retired instance stays, and its id is never reused.
 */
const partition = "PROVIDER#INSTANCE";
const instanceKey = (id: string) => ({ pk: partition, sk: `INSTANCE#${id}` });
const versionKey = { pk: partition, sk: "VERSION" };

export type InstanceStateName = "active" | "paused" | "retired";

/** What an instance is: everything an administrator says about it. */
export interface InstanceSettings {
  id: string;
  adapter: string;
  baseUrl: string;
  /** Where its secret is; neither set: the protocol needs none. */
  credentials: { env?: string; secretId?: string };
  timeZone: string;
  resilience?: Partial<ResilienceSettings>;
  options?: Record<string, unknown>;
  displayName?: string;
}

export interface StoredInstance extends InstanceSettings {
  state: InstanceStateName;
  stateReason: string;
  revision: number;
  createdAt: string;
  updatedAt: string;
}

export interface InstanceStore {
  /** The version stamp: 0 before anything was ever stored. */
  version(): Promise<number>;
  /** Every instance, and the stamp they were read at. */
  list(): Promise<{ version: number; instances: StoredInstance[] }>;
  get(id: string): Promise<StoredInstance | undefined>;
  /** Stores a new, active instance; PROVIDER_INSTANCE_EXISTS when the id is taken. */
  register(settings: InstanceSettings): Promise<StoredInstance>;
  /**
   * Changes an instance: `change` gets it as stored and returns it as it should be (or throws). Written only if
   * nobody changed it meanwhile; else read again and decided again.
   */
  change(id: string, change: (current: StoredInstance) => Partial<StoredInstance>): Promise<StoredInstance>;
}

export function createInstanceStore(deps: { documents: DynamoDBDocumentClient; tableName: string; now?: () => Date }): InstanceStore {
  const { documents, tableName } = deps;
  const now = deps.now ?? (() => new Date());
  const bumpVersion = {
    Update: {
      TableName: tableName,
      Key: versionKey,
      UpdateExpression: "ADD version :one",
      ExpressionAttributeValues: { ":one": 1 },
    },
  };

  const get = async (id: string) => {
    const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: instanceKey(id), ConsistentRead: true }));
    return Item ? toStored(Item) : undefined;
  };

  return {
    async version() {
      const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: versionKey, ConsistentRead: true }));
      return Number(Item?.version ?? 0);
    },

    async list() {
      const items: Record<string, unknown>[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: "pk = :pk",
            ExpressionAttributeValues: { ":pk": partition },
            ConsistentRead: true,
            ExclusiveStartKey,
          }),
        );
        items.push(...(page.Items ?? []));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      const stamp = items.find((i) => i.sk === versionKey.sk);
      return {
        version: Number(stamp?.version ?? 0),
        instances: items.filter((i) => String(i.sk).startsWith("INSTANCE#")).map(toStored),
      };
    },

    get,

    async register(settings) {
      const at = now().toISOString();
      const stored: StoredInstance = { ...settings, state: "active", stateReason: "", revision: 1, createdAt: at, updatedAt: at };
      try {
        await documents.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: tableName,
                  Item: { ...instanceKey(settings.id), type: "provider-instance", ...stored },
                  ConditionExpression: "attribute_not_exists(pk)",
                },
              },
              bumpVersion,
            ],
          }),
        );
      } catch (error) {
        if (cancelledBy(error, 0)) {
          throw platformError(
            ErrorReason.PROVIDER_INSTANCE_EXISTS,
            `a provider instance ${settings.id} is already registered (ids are never reused)`,
            { provider_instance_id: settings.id },
          );
        }
        throw error;
      }
      return stored;
    },

    async change(id, change) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = await get(id);
        if (!current) {
          throw platformError(ErrorReason.PROVIDER_INSTANCE_NOT_FOUND, `no provider instance ${id}`, { provider_instance_id: id });
        }
        const next: StoredInstance = {
          ...current,
          ...change(current),
          id,
          revision: current.revision + 1,
          createdAt: current.createdAt,
          updatedAt: now().toISOString(),
        };
        try {
          await documents.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName: tableName,
                    Item: { ...instanceKey(id), type: "provider-instance", ...next },
                    ConditionExpression: "revision = :read",
                    ExpressionAttributeValues: { ":read": current.revision },
                  },
                },
                bumpVersion,
              ],
            }),
          );
          return next;
        } catch (error) {
          // Someone changed it since it was read: read it again and decide again.
          if (!(error instanceof TransactionCanceledException)) throw error;
        }
      }
      throw platformError(ErrorReason.WRITE_CONFLICT, `provider instance ${id} kept changing while it was being changed; retry`, {
        provider_instance_id: id,
      });
    },
  };
}

/** True when the transaction was cancelled because the condition of its item at `index` failed. */
function cancelledBy(error: unknown, index: number): boolean {
  return error instanceof TransactionCanceledException && error.CancellationReasons?.[index]?.Code === "ConditionalCheckFailed";
}

function toStored(item: Record<string, unknown>): StoredInstance {
  const credentials = (item.credentials ?? {}) as { env?: string; secretId?: string };
  return {
    id: String(item.id),
    adapter: String(item.adapter),
    baseUrl: String(item.baseUrl),
    credentials: {
      ...(credentials.env ? { env: credentials.env } : {}),
      ...(credentials.secretId ? { secretId: credentials.secretId } : {}),
    },
    timeZone: String(item.timeZone),
    resilience: item.resilience as Partial<ResilienceSettings> | undefined,
    options: item.options as Record<string, unknown> | undefined,
    displayName: item.displayName === undefined ? undefined : String(item.displayName),
    state: item.state as InstanceStateName,
    stateReason: String(item.stateReason ?? ""),
    revision: Number(item.revision),
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
  };
}
