import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { queryAll } from "../../../utilities/dynamodb/batch.js";

type Item = Record<string, unknown>;

/** Vården's catalog as one process holds it: every treatment, clinic and offering (active or not). */
export interface CatalogSnapshot {
  treatments: Map<string, Item>;
  clinics: Map<string, Item>;
  /** Offerings by treatment id, in the table's order (by clinic id). */
  offerings: Map<string, Item[]>;
  /** The version stamp it was loaded at. */
  version: number;
  loadedAt: number;
}

export interface CatalogSnapshots {
  /** The catalog as of at most `checkMs` ago (a read of the stamp), or `maxAgeMs` ago whatever the stamp says. */
  current(): Promise<CatalogSnapshot>;
  /** After a write to the catalog, finished or not: other processes see it at their next check, this one at once. */
  changed(): Promise<void>;
}

export interface CatalogSnapshotOptions {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** How long the stamp read last is trusted: the bound on how stale another process's change may be. Default 1 s. */
  checkMs?: number;
  /** Reloaded at least this often, should a writer have died between its write and its stamp. Default 5 minutes. */
  maxAgeMs?: number;
  now?: () => number;
}

const versionKey = { pk: "CATALOG#VERSION", sk: "VERSION" };

/**
 * The catalog is read on every search and is small (thousands of items at
 * most), so each catalog access process keeps it in memory and reads one
 * item, the catalog's version stamp, at most once per `checkMs`, instead of
 * reading the catalog on every request. Every write to the catalog bumps the
 * stamp after it; a reader that sees the stamp move reloads the whole catalog
 * with consistent reads of the base table (not the index, which may lag).
 * Concurrent requests share one check and one reload.
 */
export function createCatalogSnapshots(options: CatalogSnapshotOptions): CatalogSnapshots {
  const { documents, tableName } = options;
  const now = options.now ?? Date.now;
  const checkMs = options.checkMs ?? 1000;
  const maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
  let snapshot: CatalogSnapshot | undefined;
  let checkedAt = 0;
  let checking: Promise<CatalogSnapshot> | undefined;

  const readVersion = async () => {
    const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: versionKey, ConsistentRead: true }));
    return Number(Item?.version ?? 0);
  };

  const query = (pk: string) =>
    queryAll(documents, {
      TableName: tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": pk },
      ConsistentRead: true,
    });

  async function load(version: number): Promise<CatalogSnapshot> {
    const [treatmentItems, clinicItems] = await Promise.all([query("CATALOG#TREATMENT"), query("CATALOG#CLINIC")]);
    const treatments = new Map(treatmentItems.map((item) => [String(item.id), item]));
    const offerings = new Map<string, Item[]>();
    const ids = [...treatments.keys()];
    // A handful at a time: a catalog of a thousand treatments must not open a thousand queries at once.
    for (let i = 0; i < ids.length; i += 8) {
      const batch = ids.slice(i, i + 8);
      const found = await Promise.all(batch.map((id) => query(`TREATMENT#${id}`)));
      batch.forEach((id, j) => {
        offerings.set(
          id,
          found[j]!.filter((item) => String(item.sk).startsWith("OFFERING#")),
        );
      });
    }
    return {
      treatments,
      clinics: new Map(clinicItems.map((item) => [String(item.id), item])),
      offerings,
      version,
      loadedAt: now(),
    };
  }

  /** Bumped by every local write: a check that began before one must not keep what it read. */
  let generation = 0;

  async function check(): Promise<CatalogSnapshot> {
    const began = generation;
    const version = await readVersion();
    const fresh = !snapshot || snapshot.version !== version || now() - snapshot.loadedAt >= maxAgeMs ? await load(version) : snapshot;
    if (generation === began) {
      snapshot = fresh;
      checkedAt = now();
    }
    return fresh;
  }

  return {
    current() {
      if (snapshot && now() - checkedAt < checkMs) return Promise.resolve(snapshot);
      checking ??= check().finally(() => {
        checking = undefined;
      });
      return checking;
    },

    async changed() {
      generation++;
      snapshot = undefined;
      checking = undefined;
      await documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: versionKey,
          UpdateExpression: "ADD version :one SET #type = :type",
          ExpressionAttributeNames: { "#type": "type" },
          ExpressionAttributeValues: { ":one": 1, ":type": "catalog-version" },
        }),
      );
      // Checks that began before the stamp moved read the catalog of before: they must not count.
      generation++;
      snapshot = undefined;
      checking = undefined;
    },
  };
}
