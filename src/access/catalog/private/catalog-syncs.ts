import { randomBytes } from "node:crypto";
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type CatalogSync,
  CatalogSyncSchema,
  type ProviderClinic,
  type ProviderPractitioner,
  type ProviderTreatment,
  SyncCountsSchema,
  SyncState,
} from "../../../contracts/v1/provider_catalog_pb.js";
import { getAll } from "../../../utilities/dynamodb/batch.js";
import { ErrorReason, platformError } from "../../../utilities/errors/platform-error.js";
import { contentOf, hashOf, type ItemKind, instanceItems, itemKey, itemPrefix, providerPartition } from "./provider-catalog.js";

type Item = Record<string, unknown>;

const runKey = (syncId: string) => ({ pk: `SYNC#${syncId}`, sk: "SYNC" });
const pointerKey = (instanceId: string) => ({ pk: providerPartition(instanceId), sk: "SYNC#CURRENT" });
const kinds: ItemKind[] = ["clinic", "treatment", "practitioner"];
const plural: Record<ItemKind, string> = { clinic: "clinics", treatment: "treatments", practitioner: "practitioners" };
/** Items per transaction: with the lease and the run's counters, well inside DynamoDB's 100. */
const chunkSize = 25;

const stateNames: Record<string, SyncState> = {
  running: SyncState.RUNNING,
  succeeded: SyncState.SUCCEEDED,
  failed: SyncState.FAILED,
  interrupted: SyncState.INTERRUPTED,
};

function cancelledAt(error: unknown): number[] {
  if (!(error instanceof TransactionCanceledException)) return [];
  return (error.CancellationReasons ?? []).flatMap((reason, index) => (reason.Code === "ConditionalCheckFailed" ? [index] : []));
}

/**
 * Catalog syncs: one run per sync of one instance, driven by whoever holds its
 * lease (the onboarding manager, for a job or an API call). How a run stays
 * exact when its driver dies, is killed or is run twice:
 *
 * - at most one unfinished run per instance: a pointer item (`SYNC#CURRENT` in
 *   the instance's partition), put only if absent, names it and its owner
 *   with a lease; a driver whose lease lapsed (or who was interrupted) is
 *   taken over by the next one, which continues the same run;
 * - every item of the provider's catalog is written with the id of the sync
 *   that last saw it (`lastSeenSync`), in one transaction with the run's
 *   counters and a renewal of the owner's lease, and only if nobody changed
 *   it since it was read: an item is counted once per sync however often it
 *   is sent, and a driver that lost its lease writes nothing;
 * - what the provider no longer lists is marked gone only when the run
 *   finishes, from what this run saw: a run that fails or stops part-way
 *   marks nothing gone.
 */
export function createCatalogSyncs(documents: DynamoDBDocumentClient, tableName: string, now: () => Date = () => new Date()) {
  const read = async (syncId: string): Promise<Item | undefined> =>
    (await documents.send(new GetCommand({ TableName: tableName, Key: runKey(syncId), ConsistentRead: true }))).Item;
  const readOrFail = async (syncId: string) => {
    const run = await read(syncId);
    if (!run) throw platformError(ErrorReason.SYNC_NOT_FOUND, `no catalog sync ${syncId}`);
    return run;
  };
  const leaseLost = (run: Item) =>
    platformError(ErrorReason.SYNC_LEASE_LOST, `catalog sync ${String(run.id)} of ${String(run.instanceId)} is driven by another run now`, {
      provider_instance_id: String(run.instanceId),
    });

  /** The owner's lease, renewed: part of every write a driver makes, so a driver that lost it writes nothing. */
  const renewLease = (run: Item, owner: string) => ({
    Update: {
      TableName: tableName,
      Key: pointerKey(String(run.instanceId)),
      UpdateExpression: "SET leaseUntil = :until",
      ConditionExpression: "#owner = :owner AND syncId = :sync",
      ExpressionAttributeNames: { "#owner": "owner" },
      ExpressionAttributeValues: { ":until": now().getTime() + Number(run.leaseSeconds ?? 30) * 1000, ":owner": owner, ":sync": run.id },
    },
  });

  async function begin(request: { instanceId: string; owner: string; leaseSeconds: number; trigger: string }) {
    if (!request.instanceId || !request.owner) throw platformError(ErrorReason.INVALID_ARGUMENT, "instance_id and owner are required");
    const leaseSeconds = request.leaseSeconds > 0 ? request.leaseSeconds : 30;
    for (let attempt = 0; attempt < 5; attempt++) {
      const at = now();
      const pointer = (
        await documents.send(new GetCommand({ TableName: tableName, Key: pointerKey(request.instanceId), ConsistentRead: true }))
      ).Item;
      if (pointer) {
        const run = await readOrFail(String(pointer.syncId));
        if (pointer.owner !== request.owner && Number(pointer.leaseUntil) > at.getTime()) {
          return { sync: toSync(run), resumed: false, busy: true };
        }
        try {
          await documents.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Update: {
                    TableName: tableName,
                    Key: pointerKey(request.instanceId),
                    UpdateExpression: "SET #owner = :owner, leaseUntil = :until",
                    ConditionExpression: "#owner = :was AND leaseUntil = :wasUntil",
                    ExpressionAttributeNames: { "#owner": "owner" },
                    ExpressionAttributeValues: {
                      ":owner": request.owner,
                      ":until": at.getTime() + leaseSeconds * 1000,
                      ":was": pointer.owner,
                      ":wasUntil": pointer.leaseUntil,
                    },
                  },
                },
                {
                  Update: {
                    TableName: tableName,
                    Key: runKey(String(run.id)),
                    UpdateExpression: "SET #owner = :owner, #state = :running, updatedAt = :at, leaseSeconds = :lease ADD attempts :one",
                    ConditionExpression: "attribute_exists(pk)",
                    ExpressionAttributeNames: { "#owner": "owner", "#state": "state" },
                    ExpressionAttributeValues: {
                      ":owner": request.owner,
                      ":running": "running",
                      ":at": at.toISOString(),
                      ":lease": leaseSeconds,
                      ":one": 1,
                    },
                  },
                },
              ],
            }),
          );
        } catch (error) {
          if (error instanceof TransactionCanceledException) continue; // someone else took it first: look again
          throw error;
        }
        return { sync: toSync(await readOrFail(String(run.id))), resumed: true, busy: false };
      }
      const id = `sync_${at.getTime().toString(36)}${randomBytes(5).toString("hex")}`;
      const run: Item = {
        ...runKey(id),
        gsi1pk: `SYNCS#${request.instanceId}`,
        gsi1sk: `${at.toISOString()}#${id}`,
        type: "catalog-sync",
        id,
        instanceId: request.instanceId,
        state: "running",
        trigger: request.trigger || "api",
        owner: request.owner,
        leaseSeconds,
        attempts: 1,
        total: 0,
        done: 0,
        errors: [],
        startedAt: at.toISOString(),
        updatedAt: at.toISOString(),
      };
      try {
        await documents.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: tableName,
                  Item: {
                    ...pointerKey(request.instanceId),
                    type: "catalog-sync-pointer",
                    syncId: id,
                    owner: request.owner,
                    leaseUntil: at.getTime() + leaseSeconds * 1000,
                  },
                  ConditionExpression: "attribute_not_exists(pk)",
                },
              },
              { Put: { TableName: tableName, Item: run } },
            ],
          }),
        );
      } catch (error) {
        if (error instanceof TransactionCanceledException) continue; // another driver began one meanwhile
        throw error;
      }
      return { sync: toSync(run), resumed: false, busy: false };
    }
    throw platformError(ErrorReason.WRITE_CONFLICT, `catalog sync of ${request.instanceId} could not begin: too many drivers at once`);
  }

  async function record(request: {
    syncId: string;
    owner: string;
    total: number;
    clinics: ProviderClinic[];
    treatments: ProviderTreatment[];
    practitioners: ProviderPractitioner[];
  }) {
    const run = await readOrFail(request.syncId);
    if (run.state !== "running" || run.owner !== request.owner) throw leaseLost(run);
    const instanceId = String(run.instanceId);
    const incoming = [
      ...request.clinics.map((value) => ({ kind: "clinic" as const, code: value.code, value })),
      ...request.treatments.map((value) => ({ kind: "treatment" as const, code: value.code, value })),
      ...request.practitioners.map((value) => ({ kind: "practitioner" as const, code: value.code, value })),
    ];
    for (const item of incoming) {
      if (!item.code)
        throw platformError(ErrorReason.INVALID_ARGUMENT, `a provider ${item.kind} without a code`, { field: plural[item.kind] });
    }
    // A provider that lists one code twice: the last one counts (one transaction cannot write an item twice).
    const unique = [...new Map(incoming.map((item) => [`${item.kind}#${item.code}`, item])).values()];
    for (let i = 0; i < unique.length; i += chunkSize) {
      const chunk = unique.slice(i, i + chunkSize);
      for (let attempt = 0; ; attempt++) {
        const stored = new Map(
          (
            await getAll(
              documents,
              tableName,
              chunk.map((c) => itemKey(instanceId, c.kind, c.code)),
            )
          ).map((s) => [String(s.sk), s]),
        );
        const at = now().toISOString();
        const counts = new Map<string, number>();
        const writes: Array<Record<string, unknown>> = [];
        for (const { kind, code, value } of chunk) {
          const key = itemKey(instanceId, kind, code);
          const before = stored.get(key.sk);
          if (before?.lastSeenSync === request.syncId) continue; // recorded by this sync already, and counted
          const content = contentOf(kind, value);
          const hash = hashOf(content);
          const change = !before ? "New" : before.hash !== hash || before.active === false ? "Changed" : "Unchanged";
          counts.set(`${plural[kind]}${change}`, (counts.get(`${plural[kind]}${change}`) ?? 0) + 1);
          writes.push({
            Put: {
              TableName: tableName,
              Item: {
                ...key,
                type: "provider-catalog-item",
                kind,
                instanceId,
                code,
                ...content,
                hash,
                active: true,
                lastSeenSync: request.syncId,
                firstSeenAt: before?.firstSeenAt ?? at,
                lastSeenAt: at,
              },
              ...(before
                ? {
                    ConditionExpression: "lastSeenSync = :seen",
                    ExpressionAttributeValues: { ":seen": before.lastSeenSync },
                  }
                : { ConditionExpression: "attribute_not_exists(pk)" }),
            },
          });
        }
        const counters = [...counts.entries(), ["done", writes.length] as const];
        try {
          await documents.send(
            new TransactWriteCommand({
              TransactItems: [
                renewLease(run, request.owner),
                {
                  Update: {
                    TableName: tableName,
                    Key: runKey(request.syncId),
                    UpdateExpression: `SET #total = :total, updatedAt = :at ADD ${counters.map(([name]) => `#${name} :${name}`).join(", ")}`,
                    ConditionExpression: "#owner = :owner AND #state = :running",
                    ExpressionAttributeNames: {
                      "#owner": "owner",
                      "#state": "state",
                      "#total": "total",
                      ...Object.fromEntries(counters.map(([name]) => [`#${name}`, name])),
                    },
                    ExpressionAttributeValues: {
                      ":total": request.total,
                      ":at": at,
                      ":owner": request.owner,
                      ":running": "running",
                      ...Object.fromEntries(counters.map(([name, n]) => [`:${name}`, n])),
                    },
                  },
                },
                ...writes,
              ],
            }),
          );
          break;
        } catch (error) {
          const failed = cancelledAt(error);
          if (failed.includes(0) || failed.includes(1)) throw leaseLost(run);
          // An item changed since it was read (another sync of it, an earlier attempt that did land): read again.
          if (failed.length === 0 && !(error instanceof TransactionCanceledException)) throw error;
          if (attempt >= 3) throw platformError(ErrorReason.WRITE_CONFLICT, `catalog items of ${instanceId} kept changing; retry the sync`);
        }
      }
    }
    return toSync(await readOrFail(request.syncId));
  }

  async function finish(request: { syncId: string; owner: string }, deriveOfferings: (instanceId: string) => Promise<number>) {
    const run = await readOrFail(request.syncId);
    if (run.state === "succeeded") return toSync(run);
    if (run.state !== "running" || run.owner !== request.owner) throw leaseLost(run);
    const instanceId = String(run.instanceId);
    // What this sync did not see is gone at the provider: inactive (searches skip it), never deleted.
    for (let attempt = 0; ; attempt++) {
      const gone = (await instanceItems(documents, tableName, instanceId)).filter(
        (item) =>
          kinds.some((k) => String(item.sk).startsWith(itemPrefix[k])) && item.active !== false && item.lastSeenSync !== request.syncId,
      );
      if (gone.length === 0) break;
      try {
        for (let i = 0; i < gone.length; i += chunkSize) {
          const chunk = gone.slice(i, i + chunkSize);
          const counts = new Map<string, number>();
          for (const item of chunk)
            counts.set(`${plural[item.kind as ItemKind]}Gone`, (counts.get(`${plural[item.kind as ItemKind]}Gone`) ?? 0) + 1);
          const at = now().toISOString();
          await documents.send(
            new TransactWriteCommand({
              TransactItems: [
                renewLease(run, request.owner),
                {
                  Update: {
                    TableName: tableName,
                    Key: runKey(request.syncId),
                    UpdateExpression: `SET updatedAt = :at ADD ${[...counts.keys()].map((name) => `#${name} :${name}`).join(", ")}`,
                    ConditionExpression: "#owner = :owner AND #state = :running",
                    ExpressionAttributeNames: {
                      "#owner": "owner",
                      "#state": "state",
                      ...Object.fromEntries([...counts.keys()].map((name) => [`#${name}`, name])),
                    },
                    ExpressionAttributeValues: {
                      ":at": at,
                      ":owner": request.owner,
                      ":running": "running",
                      ...Object.fromEntries([...counts].map(([name, n]) => [`:${name}`, n])),
                    },
                  },
                },
                ...chunk.map((item) => ({
                  Update: {
                    TableName: tableName,
                    Key: { pk: item.pk, sk: item.sk },
                    UpdateExpression: "SET #active = :no, goneAt = :at, goneInSync = :sync",
                    ConditionExpression: "lastSeenSync = :seen AND #active = :yes",
                    ExpressionAttributeNames: { "#active": "active" },
                    ExpressionAttributeValues: {
                      ":no": false,
                      ":yes": true,
                      ":at": at,
                      ":sync": request.syncId,
                      ":seen": item.lastSeenSync,
                    },
                  },
                })),
              ],
            }),
          );
        }
        break;
      } catch (error) {
        const failed = cancelledAt(error);
        if (failed.includes(0) || failed.includes(1)) throw leaseLost(run);
        if (failed.length === 0 && !(error instanceof TransactionCanceledException)) throw error;
        if (attempt >= 3) throw platformError(ErrorReason.WRITE_CONFLICT, `catalog items of ${instanceId} kept changing; retry the sync`);
      }
    }
    await deriveOfferings(instanceId);
    await close(run, request.owner, "succeeded", "");
    return toSync(await readOrFail(request.syncId));
  }

  /** Ends a run: succeeded or failed (the instance's next sync is a new run), or interrupted (the next one takes it over). */
  async function close(run: Item, owner: string, state: "succeeded" | "failed" | "interrupted", error: string) {
    const at = now().toISOString();
    const finished = state !== "interrupted";
    try {
      await documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: runKey(String(run.id)),
                UpdateExpression: `SET #state = :state, updatedAt = :at${finished ? ", finishedAt = :at" : ""}${error ? ", errors = list_append(if_not_exists(errors, :none), :error)" : ""}`,
                ConditionExpression: "#owner = :owner AND #state = :running",
                ExpressionAttributeNames: { "#owner": "owner", "#state": "state" },
                ExpressionAttributeValues: {
                  ":state": state,
                  ":at": at,
                  ":owner": owner,
                  ":running": "running",
                  ...(error ? { ":none": [], ":error": [error.slice(0, 500)] } : {}),
                },
              },
            },
            finished
              ? {
                  Delete: {
                    TableName: tableName,
                    Key: pointerKey(String(run.instanceId)),
                    ConditionExpression: "#owner = :owner AND syncId = :sync",
                    ExpressionAttributeNames: { "#owner": "owner" },
                    ExpressionAttributeValues: { ":owner": owner, ":sync": run.id },
                  },
                }
              : {
                  Update: {
                    TableName: tableName,
                    Key: pointerKey(String(run.instanceId)),
                    UpdateExpression: "SET leaseUntil = :zero",
                    ConditionExpression: "#owner = :owner AND syncId = :sync",
                    ExpressionAttributeNames: { "#owner": "owner" },
                    ExpressionAttributeValues: { ":owner": owner, ":sync": run.id, ":zero": 0 },
                  },
                },
          ],
        }),
      );
    } catch (failure) {
      if (cancelledAt(failure).length > 0) throw leaseLost(run);
      throw failure;
    }
  }

  return {
    begin,
    record,
    finish,
    async abandon(request: { syncId: string; owner: string; state: SyncState; error: string }) {
      const run = await readOrFail(request.syncId);
      if (run.state !== "running") return toSync(run);
      const state = request.state === SyncState.INTERRUPTED ? "interrupted" : "failed";
      await close(run, request.owner, state, request.error);
      return toSync(await readOrFail(request.syncId));
    },
    async get(syncId: string) {
      return toSync(await readOrFail(syncId));
    },
    async list(instanceId: string, limit: number): Promise<CatalogSync[]> {
      const { Items } = await documents.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: "gsi1",
          KeyConditionExpression: "gsi1pk = :pk",
          ExpressionAttributeValues: { ":pk": `SYNCS#${instanceId}` },
          ScanIndexForward: false,
          Limit: Math.min(Math.max(limit || 20, 1), 100),
        }),
      );
      return (Items ?? []).map(toSync);
    },
  };
}

function toSync(item: Item): CatalogSync {
  const counts = (kind: ItemKind) =>
    create(SyncCountsSchema, {
      new: Number(item[`${plural[kind]}New`] ?? 0),
      changed: Number(item[`${plural[kind]}Changed`] ?? 0),
      gone: Number(item[`${plural[kind]}Gone`] ?? 0),
      unchanged: Number(item[`${plural[kind]}Unchanged`] ?? 0),
    });
  return create(CatalogSyncSchema, {
    id: String(item.id),
    instanceId: String(item.instanceId),
    state: stateNames[String(item.state)] ?? SyncState.UNSPECIFIED,
    trigger: String(item.trigger ?? ""),
    total: Number(item.total ?? 0),
    done: Number(item.done ?? 0),
    clinics: counts("clinic"),
    practitioners: counts("practitioner"),
    treatments: counts("treatment"),
    errors: ((item.errors as string[] | undefined) ?? []).map(String),
    startedAt: timestampFromDate(new Date(String(item.startedAt))),
    updatedAt: timestampFromDate(new Date(String(item.updatedAt))),
    finishedAt: item.finishedAt ? timestampFromDate(new Date(String(item.finishedAt))) : undefined,
    attempts: Number(item.attempts ?? 1),
  });
}
