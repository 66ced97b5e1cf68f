import { createHmac } from "node:crypto";
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, ScanCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { Code, ConnectError } from "@connectrpc/connect";
import { createPatientIds, type PatientIdentity } from "../../../utilities/security/patient-id.js";
import { readPersonalIdentityNumber } from "../../../utilities/security/personal-identity-number.js";
import { patientAliasKey, patientPartition, reservationKey, storedPersonalData } from "../booking-access.js";
import type { PatientDataCipher, PersonalData } from "../private/patient-data-cipher.js";

/**
 * `npm run migrate -- patient-data`: brings every reservation item to what
 * booking access writes today.
 *
 *  - personal data still in the clear (`patient`, `note`) is encrypted into
 *    `patientData`, and the clear attributes removed;
 *  - the personal identity number is kept in its twelve-digit form;
 *  - the patient id (and gsi1pk) is derived from that twelve-digit number with
 *    the current BP_PATIENT_ID_SECRET: ids made from ten digits, or with the
 *    previous secret (BP_PATIENT_ID_SECRET_PREVIOUS) after a rotation, change,
 *    and an alias item lets the old id find the patient for the grace period.
 *
 * Each item is one conditional transaction (the reservation's update and its
 * alias), conditioned on the item still holding what was read: an item is
 * migrated entirely or not at all, a concurrent change is never overwritten
 * (the item is read again and redone), and an item already migrated is left
 * alone. So the migration can be interrupted anywhere and run again, as often
 * as needed, and runs beside the live services.
 *
 * An id is only changed when it is one the migration can account for: made
 * by today's scheme, or by the former (ten-digit) scheme, with the current or
 * the previous secret. Anything else means a secret is misconfigured, so the
 * item keeps its id (its data is still encrypted) and the summary names it.
 */

export interface PatientDataMigrationOptions {
  documents: DynamoDBDocumentClient;
  tableName: string;
  cipher: PatientDataCipher;
  /** BP_PATIENT_ID_SECRET: the secret ids are made with from now on. */
  patientIdSecret: string;
  /** BP_PATIENT_ID_SECRET_PREVIOUS: the secret stored ids were made with, while it is being rotated out. */
  previousPatientIdSecret?: string;
  /** Look and count, write nothing. */
  dryRun?: boolean;
  /** How long an old patient id keeps finding the patient (default 30 days). */
  aliasLifetimeMs?: number;
  /** Items migrated at once (default 8). */
  concurrency?: number;
  now?: () => Date;
  /** Told after every item: how many have been looked at, of how many there were at the start. */
  onProgress?: (done: number, total: number) => void;
  /** Stops between items: those under way finish, the rest are left for the next run. */
  signal?: AbortSignal;
  /** Called after each item is written (tests interrupt the migration here). */
  afterWrite?: (reservationId: string) => void | Promise<void>;
}

export interface PatientDataMigrationSummary {
  dryRun: boolean;
  /** Reservation items in the table when the migration began. */
  total: number;
  /** Items looked at (more than total if reservations were made meanwhile). */
  examined: number;
  /** Items whose personal data was in the clear and is now encrypted. */
  encrypted: number;
  /** Items whose patient id changed; each leaves an alias from the old id. */
  idsChanged: number;
  /** Items already as booking access writes them. */
  alreadyDone: number;
  /** Items whose personal identity number does not read as one: encrypted, id kept. Reservation ids. */
  invalidNumbers: string[];
  /** Items whose stored id no known secret made: encrypted, id kept (is BP_PATIENT_ID_SECRET_PREVIOUS right?). Reservation ids. */
  unrecognisedIds: string[];
  /** Items whose personal data does not decrypt (another key, or altered): untouched. Reservation ids. */
  unreadable: string[];
  /** Items that kept changing under the migration: untouched, for the next run. Reservation ids. */
  conflicts: string[];
  /** Stopped by the signal before every item was looked at. */
  interrupted: boolean;
  /** Until when the aliases written in this run let old ids find their patients. */
  aliasesExpireAt: Date;
}

export const defaultAliasLifetimeMs = 30 * 86_400_000;
const attemptsPerItem = 3;

export async function migratePatientData(options: PatientDataMigrationOptions): Promise<PatientDataMigrationSummary> {
  const { documents, tableName, cipher, dryRun = false, concurrency = 8, now = () => new Date() } = options;
  const aliasesExpireAt = new Date(now().getTime() + (options.aliasLifetimeMs ?? defaultAliasLifetimeMs));
  const currentId = createPatientIds(options.patientIdSecret);
  const knownSchemes = [
    legacyPatientIds(options.patientIdSecret),
    ...(options.previousPatientIdSecret
      ? [createPatientIds(options.previousPatientIdSecret), legacyPatientIds(options.previousPatientIdSecret)]
      : []),
  ];
  const summary: PatientDataMigrationSummary = {
    dryRun,
    total: await countReservations(documents, tableName),
    examined: 0,
    encrypted: 0,
    idsChanged: 0,
    alreadyDone: 0,
    invalidNumbers: [],
    unrecognisedIds: [],
    unreadable: [],
    conflicts: [],
    interrupted: false,
    aliasesExpireAt,
  };
  const stopped = () => options.signal?.aborted === true;

  /**
   * What the item should become (`change`, none when it already is that),
   * and what is wrong with it that a re-run will not mend.
   */
  async function plan(item: Record<string, unknown>): Promise<Plan> {
    const id = String(item.id);
    let personal: PersonalData;
    try {
      personal = await storedPersonalData(cipher, item);
    } catch (error) {
      // Another key, or altered: left as it is, named in the summary. Anything else (KMS unreachable, say) stops the run.
      if (error instanceof ConnectError && error.code === Code.DataLoss) return { id, unreadable: true };
      throw error;
    }
    const given = item.createdAt ? new Date(String(item.createdAt)) : now();
    const oldId = String(item.patientId ?? "");
    const patient = personal.patient;
    let newId = oldId;
    let stored = personal;
    let invalidNumber = false;
    let unrecognisedId = false;
    const reading = patient?.personalIdentityNumber ? readPersonalIdentityNumber(patient.personalIdentityNumber, given) : undefined;
    if (reading && !reading.valid) {
      invalidNumber = true;
    } else if (patient) {
      if (reading?.valid) stored = { ...personal, patient: { ...patient, personalIdentityNumber: reading.number.formatted } };
      const derived = currentId(stored.patient!, given);
      if (derived !== oldId) {
        if (knownSchemes.some((scheme) => scheme(patient, given) === oldId)) newId = derived;
        else unrecognisedId = true;
      }
    }
    const inClear = !(item.patientData instanceof Uint8Array) || item.patient !== undefined || item.note !== undefined;
    const numberRewritten = stored.patient?.personalIdentityNumber !== personal.patient?.personalIdentityNumber;
    const change =
      inClear || numberRewritten || newId !== oldId
        ? { oldId, newId, personal: stored, inClear, reencrypt: inClear || numberRewritten }
        : undefined;
    return { id, invalidNumber, unrecognisedId, change };
  }

  async function write(item: Record<string, unknown>, id: string, change: Change) {
    const set = ["patientId = :newId", "gsi1pk = :partition"];
    const values: Record<string, unknown> = {
      ":oldId": change.oldId,
      ":newId": change.newId,
      ":partition": patientPartition(change.newId),
    };
    if (change.reencrypt) {
      set.push("patientData = :blob");
      values[":blob"] = await cipher.encrypt(id, change.personal);
    }
    // What was read is still there: the same id, and the same personal data (in the clear, or the very same blob).
    let condition = "patientId = :oldId";
    if (item.patientData instanceof Uint8Array) {
      condition += " AND patientData = :oldBlob";
      values[":oldBlob"] = item.patientData;
    } else {
      condition += " AND attribute_not_exists(patientData)";
    }
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]> = [
      {
        Update: {
          TableName: tableName,
          Key: reservationKey(id),
          UpdateExpression: `SET ${set.join(", ")} REMOVE #patient, #note`,
          ConditionExpression: condition,
          ExpressionAttributeNames: { "#patient": "patient", "#note": "note" },
          ExpressionAttributeValues: values,
        },
      },
    ];
    if (change.newId !== change.oldId) {
      items.push({
        Put: {
          TableName: tableName,
          Item: {
            ...patientAliasKey(change.oldId, change.newId),
            type: "patient-alias",
            patientId: change.newId,
            expiresAt: aliasesExpireAt.getTime(),
            ttl: Math.ceil(aliasesExpireAt.getTime() / 1000),
          },
        },
      });
    }
    await documents.send(new TransactWriteCommand({ TransactItems: items }));
  }

  /** One item, start to end: planned, written under its condition, and planned again from a fresh read if it changed meanwhile. */
  async function migrate(scanned: Record<string, unknown>) {
    let item = scanned;
    for (let attempt = 1; ; attempt++) {
      const planned = await plan(item);
      const { change } = planned;
      if (change && !dryRun) {
        try {
          await write(item, planned.id, change);
        } catch (error) {
          if (!(error instanceof TransactionCanceledException)) throw error;
          if (attempt === attemptsPerItem) return void summary.conflicts.push(planned.id);
          const { Item } = await documents.send(
            new GetCommand({ TableName: tableName, Key: reservationKey(planned.id), ConsistentRead: true }),
          );
          // Cancelled reservations are kept, so a vanished one was deleted by hand: nothing left to protect.
          if (!Item) return;
          item = Item;
          continue;
        }
      }
      record(planned);
      if (change && !dryRun) await options.afterWrite?.(planned.id);
      return;
    }
  }

  const record = (planned: Plan) => {
    if (planned.unreadable) summary.unreadable.push(planned.id);
    if (planned.invalidNumber) summary.invalidNumbers.push(planned.id);
    if (planned.unrecognisedId) summary.unrecognisedIds.push(planned.id);
    if (!planned.change) {
      if (!planned.unreadable) summary.alreadyDone++;
      return;
    }
    if (planned.change.inClear) summary.encrypted++;
    if (planned.change.newId !== planned.change.oldId) summary.idsChanged++;
  };

  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: "#type = :reservation",
        ExpressionAttributeNames: { "#type": "type" },
        ExpressionAttributeValues: { ":reservation": "reservation" },
        ConsistentRead: true,
        ExclusiveStartKey,
      }),
    );
    const finished = await inParallel(page.Items ?? [], concurrency, stopped, async (item) => {
      await migrate(item);
      summary.examined++;
      options.onProgress?.(summary.examined, summary.total);
    });
    ExclusiveStartKey = page.LastEvaluatedKey;
    if (!finished || (ExclusiveStartKey && stopped())) {
      summary.interrupted = true;
      break;
    }
  } while (ExclusiveStartKey);
  return summary;
}

interface Change {
  oldId: string;
  newId: string;
  /** The personal data to store: the personal identity number in its twelve-digit form. */
  personal: PersonalData;
  /** The personal data is (still, or also) in the clear. */
  inClear: boolean;
  /** A new blob is written (the old one, if any, stays valid until the write replaces it). */
  reencrypt: boolean;
}

interface Plan {
  id: string;
  change?: Change;
  unreadable?: boolean;
  invalidNumber?: boolean;
  unrecognisedId?: boolean;
}

async function countReservations(documents: DynamoDBDocumentClient, tableName: string): Promise<number> {
  let total = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({
        TableName: tableName,
        Select: "COUNT",
        FilterExpression: "#type = :reservation",
        ExpressionAttributeNames: { "#type": "type" },
        ExpressionAttributeValues: { ":reservation": "reservation" },
        ExclusiveStartKey,
      }),
    );
    total += page.Count ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return total;
}

/**
 * Runs `work` over the items, `limit` at a time, until `stopped` says so;
 * true when every item was done. The first failure stops new work and is
 * thrown once the work under way has settled.
 */
async function inParallel<T>(items: T[], limit: number, stopped: () => boolean, work: (item: T) => Promise<void>): Promise<boolean> {
  let next = 0;
  let failed = false;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length && !failed && !stopped()) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        if (!failed) failure = error;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw failure;
  return next >= items.length;
}

/**
 * Patient ids as they were made before they counted the century (a frozen
 * copy of the former createPatientIds): the last ten digits of the number,
 * whichever way it was written. Only to recognise stored ids.
 */
function legacyPatientIds(secret: string) {
  return (patient: PatientIdentity): string => {
    const pnr = patient.personalIdentityNumber?.replace(/[-+]/g, "");
    const identity = pnr ? `pnr:${pnr.slice(-10)}` : `dob:${patient.dateOfBirth ?? ""}|email:${(patient.email ?? "").trim().toLowerCase()}`;
    return `pat_${createHmac("sha256", secret).update(identity).digest("base64url").slice(0, 22)}`;
  };
}
