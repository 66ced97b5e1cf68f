import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { create } from "@bufbuild/protobuf";
import { type Timestamp, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { PatientSchema, type Reservation, ReservationSchema, ReservationStatus } from "../../contracts/v1/booking_pb.js";
import { queryAll } from "../../utilities/dynamodb/batch.js";
import { gsi1 } from "../../utilities/dynamodb/table-design.js";
import { ErrorReason, platformError, reasonName } from "../../utilities/errors/platform-error.js";
import { type PatientDataCipher, PatientDataUnreadable, type PersonalData } from "./private/patient-data-cipher.js";
import {
  BeginOutcome,
  BeginReservationResponseSchema,
  type BookingAccessService,
  GetReservationResponseSchema,
  ListLapsedHoldsResponseSchema,
  ListPatientReservationsResponseSchema,
  ListPendingReservationsResponseSchema,
  RecordedReservationSchema,
  type Refusal,
  RefusalSchema,
} from "./v1/booking_access_pb.js";

/*
 * Key design (single table; docs/data-model.md has every entity):
 *
 * | item            | pk                                       | sk          | gsi1pk             | gsi1sk          |
 * |-----------------|------------------------------------------|-------------|--------------------|-----------------|
 * | reservation     | RESERVATION#<id>                         | RESERVATION | PATIENT#<patientId>| <start>#<id>    |
 * | slot claim      | SLOTCLAIM#<providerInstanceId>#<slotId>  | CLAIM       |                    |                 |
 * | idempotency key | IDEMPOTENCY#<key>                        | KEY         |                    |                 |
 * | pending marker  | PENDING                                  | <createdAt>#<id> |               |                 |
 * | hold marker     | HOLD                                     | <holdExpiresAt>#<id> |           |                 |
 * | patient alias   | PATIENTALIAS#<old patientId>             | PATIENT#<patientId> |            |                 |
 *
 * The reservation's personal data (the patient and the note) is one encrypted
 * attribute, `patientData` (private/patient-data-cipher.ts), bound to the
 * reservation by its encryption context; nothing personal is stored in the
 * clear. Items written before that carry them in the clear (`patient`,
 * `note`) until `npm run migrate -- patient-data` has encrypted them; reads
 * take either. A patient alias, left by that migration when a patient's id
 * changed (a secret rotated, or the id now counts the century), points a
 * patient's old id to the new one until `expiresAt` (30 days by default).
 *
 * Access patterns:
 * 1. begin a reservation    TransactWriteItems: claim (attribute_not_exists(pk) OR expiresAt < :now)
 *                           + idempotency key (attribute_not_exists(pk) OR expiresAt < :now)
 *                           + reservation (attribute_not_exists(pk)) + pending marker
 * 2. record an outcome      TransactWriteItems: reservation status (status = the status read)
 *    (hold, booking,        + delete the pending or hold marker (put one for a hold)
 *    release, cancellation, + re-time, keep for good or delete the claim (reservationId = :id)
 *    expiry)                + complete the idempotency key when leaving pending
 * 3. a reservation by id    GetItem RESERVATION#<id>
 * 4. a patient's reservations  Query gsi1 PATIENT#<patientId>, by start, and the same for every id
 *                              the unexpired aliases under PATIENTALIAS#<patientId> name
 * 5. pending reservations   Query PENDING, sk < <cut-off instant>
 * 6. lapsed holds           Query HOLD, sk < <now>
 *
 * Expiry (holds, idempotency keys after 24 h) is enforced in these conditions
 * and in reads, never by waiting for TTL: DynamoDB deletes expired items
 * lazily. `ttl` is set for clean-up only.
 */
export const reservationKey = (id: string) => ({ pk: `RESERVATION#${id}`, sk: "RESERVATION" });
/** The gsi1 partition of a patient's reservations. */
export const patientPartition = (patientId: string) => `PATIENT#${patientId}`;
/** Where an old patient id says which id its reservations carry now. */
export const patientAliasKey = (oldPatientId: string, patientId: string) => ({
  pk: `PATIENTALIAS#${oldPatientId}`,
  sk: patientPartition(patientId),
});
const claimKey = (providerInstanceId: string, providerSlotId: string) => ({
  pk: `SLOTCLAIM#${providerInstanceId}#${providerSlotId}`,
  sk: "CLAIM",
});
/** Keys are the client's, for one operation: two clients with the same key never meet. */
const idempotencyKey = (clientId: string, key: string) => ({ pk: `IDEMPOTENCY#${clientId}#reserve#${key}`, sk: "KEY" });
const pendingKey = (createdAt: string, id: string) => ({ pk: "PENDING", sk: `${createdAt}#${id}` });
const holdKey = (holdExpiresAt: string, id: string) => ({ pk: "HOLD", sk: `${holdExpiresAt}#${id}` });

export const idempotencyKeyLifetimeMs = 24 * 3_600_000;
const ttlSeconds = (epochMs: number) => Math.ceil(epochMs / 1000);

export interface BookingAccessDeps {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** Encrypts the personal data of every reservation written, and decrypts it to read it. */
  cipher: PatientDataCipher;
  now?: () => Date;
}

export function createBookingAccess({
  documents,
  tableName,
  cipher,
  now = () => new Date(),
}: BookingAccessDeps): ServiceImpl<typeof BookingAccessService> {
  const clock = (timestamp: Timestamp | undefined) => (timestamp ? timestampDate(timestamp) : now());

  /** A stored reservation with its personal data decrypted (or, on an item from before encryption, as it is). */
  const readable = async (item: Record<string, unknown>): Promise<Reservation> => fromItem(item, await storedPersonalData(cipher, item));

  const readReservation = async (id: string) => {
    const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: reservationKey(id), ConsistentRead: true }));
    return Item;
  };

  /**
   * Moves a reservation from one of `from` to `to` in one transaction with
   * everything that goes with it: its markers, its slot claim, and (when it
   * leaves pending) the idempotency key of the request that began it.
   */
  async function transition(id: string, change: Transition) {
    if (!id) throw invalid("id is required");
    const at = clock(change.now);
    const current = await readReservation(id);
    if (!current) throw platformError(ErrorReason.RESERVATION_NOT_FOUND, `reservation ${id} not found`);
    const currentStatus = statusFromItem(current.status);
    if (!change.from.includes(currentStatus)) {
      throw platformError(
        ErrorReason.RESERVATION_CHANGED,
        `reservation ${id} is ${current.status}, not ${change.from.map(statusToItem).join(" or ")}`,
        {
          current_status: String(current.status),
        },
      );
    }
    const updatedAt = at.toISOString();
    const set: Record<string, unknown> = { status: statusToItem(change.to), updatedAt, statusReason: change.statusReason ?? "" };
    if (change.providerBookingRef) set.providerBookingRef = change.providerBookingRef;
    set.holdExpiresAt = change.to === ReservationStatus.HELD && change.holdExpiresAt ? change.holdExpiresAt.toISOString() : undefined;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ":current": current.status };
    const assignments: string[] = [];
    const removals: string[] = [];
    Object.entries(set).forEach(([field, value], i) => {
      names[`#f${i}`] = field;
      if (value === undefined || value === "") removals.push(`#f${i}`);
      else {
        values[`:v${i}`] = value;
        assignments.push(`#f${i} = :v${i}`);
      }
    });
    const items: TransactItems = [
      {
        Update: {
          TableName: tableName,
          Key: reservationKey(id),
          UpdateExpression: `SET ${assignments.join(", ")}${removals.length ? ` REMOVE ${removals.join(", ")}` : ""}`,
          ConditionExpression: "#status = :current",
          ExpressionAttributeNames: { ...names, "#status": "status" },
          ExpressionAttributeValues: values,
        },
      },
    ];
    if (currentStatus === ReservationStatus.PENDING && change.to !== ReservationStatus.PENDING) {
      items.push({ Delete: { TableName: tableName, Key: pendingKey(String(current.createdAt), id) } });
    }
    if (currentStatus === ReservationStatus.HELD && typeof current.holdExpiresAt === "string") {
      items.push({ Delete: { TableName: tableName, Key: holdKey(current.holdExpiresAt, id) } });
    }
    if (change.to === ReservationStatus.HELD && change.holdExpiresAt) {
      items.push({
        Put: { TableName: tableName, Item: { ...holdKey(change.holdExpiresAt.toISOString(), id), type: "hold", reservationId: id } },
      });
    }

    // The slot claim is ours to keep, re-time or free; a claim another reservation took after our hold lapsed is not.
    const claim = claimKey(String(current.providerInstanceId), String(current.providerSlotId));
    const ownsClaim = { ConditionExpression: "reservationId = :id", ExpressionAttributeValues: { ":id": id } };
    const { Item: claimItem } = await documents.send(new GetCommand({ TableName: tableName, Key: claim, ConsistentRead: true }));
    const owned = claimItem?.reservationId === id;
    if (change.claim === "free") {
      if (owned) items.push({ Delete: { TableName: tableName, Key: claim, ...ownsClaim } });
    } else if (change.claim === "unchanged") {
      // Still pending: the claim stays as it is.
    } else if (!owned) {
      throw platformError(
        ErrorReason.SLOT_CLAIM_LOST,
        `reservation ${id} no longer has its slot: its hold lapsed and another reservation took it`,
      );
    } else if (change.claim === "until-hold-expiry" && change.holdExpiresAt) {
      const expiresAt = change.holdExpiresAt.getTime();
      items.push({
        Update: {
          TableName: tableName,
          Key: claim,
          UpdateExpression: "SET expiresAt = :expires, #ttl = :ttl",
          ExpressionAttributeNames: { "#ttl": "ttl" },
          ...ownsClaim,
          ExpressionAttributeValues: {
            ...ownsClaim.ExpressionAttributeValues,
            ":expires": expiresAt,
            ":ttl": ttlSeconds(expiresAt) + 86_400,
          },
        },
      });
    } else if (change.claim === "for-good" && claimItem.expiresAt !== undefined) {
      items.push({
        Update: {
          TableName: tableName,
          Key: claim,
          UpdateExpression: "REMOVE expiresAt, #ttl",
          ExpressionAttributeNames: { "#ttl": "ttl" },
          ...ownsClaim,
        },
      });
    }

    // The first answer to the request that began it (a hold, a booking, a refusal, or "still pending")
    // completes its idempotency key: a retry is answered the same way. A later outcome of a reservation
    // first answered "still pending" keeps that first answer (if_not_exists); retries see the current state.
    if (currentStatus === ReservationStatus.PENDING && typeof current.idempotencyKey === "string" && current.idempotencyKey) {
      const answer: Record<string, string> = change.refusal
        ? { outcome: "refusal", refusalReason: reasonName(change.refusal.reason), refusalMessage: change.refusal.message }
        : { outcome: "reservation", firstAnswer: change.to === ReservationStatus.PENDING ? "pending" : "settled" };
      const fields = Object.keys(answer);
      items.push({
        Update: {
          TableName: tableName,
          Key: idempotencyKey(String(current.clientId ?? ""), current.idempotencyKey),
          UpdateExpression: `SET #state = :complete, ${fields.map((_field, i) => `#a${i} = if_not_exists(#a${i}, :a${i})`).join(", ")}`,
          ConditionExpression: "reservationId = :id",
          ExpressionAttributeNames: { "#state": "state", ...Object.fromEntries(fields.map((f, i) => [`#a${i}`, f])) },
          ExpressionAttributeValues: {
            ":complete": "complete",
            ":id": id,
            ...Object.fromEntries(Object.values(answer).map((v, i) => [`:a${i}`, v])),
          },
        },
      });
    }
    try {
      await documents.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        throw platformError(ErrorReason.WRITE_CONFLICT, `reservation ${id} changed while recording it; read it again`);
      }
      throw error;
    }
    const recorded = await readReservation(id);
    return create(RecordedReservationSchema, { reservation: await readable(recorded!) });
  }

  return {
    async beginReservation(request) {
      const reservation = request.reservation;
      if (!request.idempotencyKey || !request.requestHash) throw invalid("idempotency_key and request_hash are required");
      if (
        !reservation?.id ||
        !reservation.clientId ||
        !reservation.providerInstanceId ||
        !reservation.providerSlotId ||
        !reservation.start ||
        !reservation.end
      ) {
        throw invalid("a reservation needs id, client, provider instance, provider slot, start and end");
      }
      const at = clock(request.now);
      const createdAt = at.toISOString();
      const keyExpires = at.getTime() + idempotencyKeyLifetimeMs;
      const personal = personalDataOf(reservation);
      const item = {
        ...reservationKey(reservation.id),
        ...toItem({ ...reservation, status: ReservationStatus.PENDING }),
        patientData: await cipher.encrypt(reservation.id, personal),
        gsi1pk: patientPartition(reservation.patientId),
        gsi1sk: `${timestampDate(reservation.start).toISOString()}#${reservation.id}`,
        createdAt,
        updatedAt: createdAt,
        idempotencyKey: request.idempotencyKey,
      };
      try {
        await documents.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: tableName,
                  Item: {
                    ...idempotencyKey(reservation.clientId, request.idempotencyKey),
                    type: "idempotency-key",
                    requestHash: request.requestHash,
                    reservationId: reservation.id,
                    state: "in-progress",
                    expiresAt: keyExpires,
                    ttl: ttlSeconds(keyExpires),
                  },
                  ConditionExpression: "attribute_not_exists(pk) OR expiresAt < :now",
                  ExpressionAttributeValues: { ":now": at.getTime() },
                },
              },
              {
                Put: {
                  TableName: tableName,
                  Item: {
                    ...claimKey(reservation.providerInstanceId, reservation.providerSlotId),
                    type: "slot-claim",
                    reservationId: reservation.id,
                  },
                  // A lapsed hold's claim may be taken over at once; DynamoDB's TTL deletion may come days later.
                  ConditionExpression: "attribute_not_exists(pk) OR expiresAt < :now",
                  ExpressionAttributeValues: { ":now": at.getTime() },
                },
              },
              { Put: { TableName: tableName, Item: item, ConditionExpression: "attribute_not_exists(pk)" } },
              {
                Put: {
                  TableName: tableName,
                  Item: { ...pendingKey(createdAt, reservation.id), type: "pending", reservationId: reservation.id },
                },
              },
            ],
          }),
        );
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [key, claim, record] = (error.CancellationReasons ?? []).map((r) => r.Code);
        if (key === "ConditionalCheckFailed") return answerKnownKey(reservation.clientId, request.idempotencyKey, request.requestHash);
        if (claim === "ConditionalCheckFailed") {
          throw platformError(ErrorReason.SLOT_UNAVAILABLE, `the slot is already reserved: search again`, {
            provider_instance_id: reservation.providerInstanceId,
          });
        }
        if (record === "ConditionalCheckFailed")
          throw platformError(ErrorReason.WRITE_CONFLICT, `reservation ${reservation.id} already exists`);
        // Two writers touched the same items at the same instant (TransactionConflict): the loser may retry.
        throw platformError(ErrorReason.WRITE_CONFLICT, "the reservation collided with a concurrent one; retry");
      }
      return create(BeginReservationResponseSchema, { outcome: BeginOutcome.STARTED, reservation: fromItem(item, personal) });
    },

    recordHold: (request) =>
      transition(request.id, {
        from: [ReservationStatus.PENDING],
        to: ReservationStatus.HELD,
        providerBookingRef: request.providerBookingRef,
        holdExpiresAt: request.holdExpiresAt ? timestampDate(request.holdExpiresAt) : undefined,
        statusReason: request.statusReason,
        claim: "until-hold-expiry",
        now: request.now,
      }),

    recordBooking: (request) =>
      transition(request.id, {
        from: [ReservationStatus.PENDING, ReservationStatus.HELD],
        to: ReservationStatus.CONFIRMED,
        providerBookingRef: request.providerBookingRef,
        statusReason: request.statusReason,
        claim: "for-good",
        now: request.now,
      }),

    recordRelease: (request) =>
      transition(request.id, {
        from: [ReservationStatus.PENDING],
        to: ReservationStatus.RELEASED,
        statusReason: request.refusal?.message,
        refusal: request.refusal,
        claim: "free",
        now: request.now,
      }),

    recordAwaitingProvider: (request) =>
      transition(request.id, {
        from: [ReservationStatus.PENDING],
        to: ReservationStatus.PENDING,
        statusReason: request.statusReason,
        claim: "unchanged",
        now: request.now,
      }),

    recordCancellation: (request) =>
      transition(request.id, {
        from: [ReservationStatus.HELD, ReservationStatus.CONFIRMED],
        to: ReservationStatus.CANCELLED,
        statusReason: request.statusReason,
        claim: "free",
        now: request.now,
      }),

    recordExpiry: (request) =>
      transition(request.id, {
        from: [ReservationStatus.HELD],
        to: ReservationStatus.EXPIRED,
        statusReason: request.statusReason,
        claim: "free",
        now: request.now,
      }),

    async getReservation(request) {
      if (!request.id) throw invalid("id is required");
      const item = await readReservation(request.id);
      // Another client's reservation is not there, as far as this client can tell.
      if (!item || (request.clientId && item.clientId !== request.clientId)) {
        throw platformError(ErrorReason.RESERVATION_NOT_FOUND, `reservation ${request.id} not found`);
      }
      return create(GetReservationResponseSchema, { reservation: await readable(item) });
    },

    async listPatientReservations(request) {
      if (!request.patientId) throw invalid("patient_id is required");
      const partitions = await Promise.all(
        (await currentPatientIds(request.patientId)).map((patientId) =>
          queryAll(documents, {
            TableName: tableName,
            IndexName: gsi1,
            KeyConditionExpression: "gsi1pk = :pk",
            ExpressionAttributeValues: { ":pk": patientPartition(patientId) },
          }),
        ),
      );
      const items = partitions.flat().sort((a, b) => String(a.gsi1sk).localeCompare(String(b.gsi1sk)));
      const mine = request.clientId ? items.filter((item) => item.clientId === request.clientId) : items;
      return create(ListPatientReservationsResponseSchema, { reservations: await Promise.all(mine.map(readable)) });
    },

    async listPendingReservations(request) {
      const reservations = await marked("PENDING", clock(request.beganBefore).toISOString(), ReservationStatus.PENDING);
      return create(ListPendingReservationsResponseSchema, { reservations });
    },

    async listLapsedHolds(request) {
      const reservations = await marked("HOLD", clock(request.expiredBefore).toISOString(), ReservationStatus.HELD);
      return create(ListLapsedHoldsResponseSchema, { reservations });
    },
  };

  /**
   * The id itself and every id it is an unexpired alias of (following a
   * chain, should a secret have been rotated twice within the grace period):
   * after a migration changed a patient's id, the old one still finds them.
   */
  async function currentPatientIds(patientId: string): Promise<string[]> {
    const at = now().getTime();
    const ids = [patientId];
    for (let i = 0; i < ids.length && ids.length < maxAliasHops; i++) {
      const aliases = await queryAll(documents, {
        TableName: tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": patientAliasKey(ids[i]!, "").pk },
      });
      for (const alias of aliases) {
        const target = String(alias.patientId);
        // TTL deletes lapsed aliases days late; the grace period ends on time.
        if (Number(alias.expiresAt) > at && !ids.includes(target)) ids.push(target);
      }
    }
    return ids;
  }

  /** The reservations a marker partition lists before an instant, still in the given status. */
  async function marked(partition: "PENDING" | "HOLD", before: string, status: ReservationStatus): Promise<Reservation[]> {
    const markers = await queryAll(documents, {
      TableName: tableName,
      KeyConditionExpression: "pk = :pk AND sk < :before",
      ExpressionAttributeValues: { ":pk": partition, ":before": before },
    });
    const reservations: Reservation[] = [];
    for (const marker of markers) {
      const item = await readReservation(String(marker.reservationId));
      if (item && statusFromItem(item.status) === status) reservations.push(await readable(item));
    }
    return reservations;
  }

  async function answerKnownKey(clientId: string, key: string, requestHash: string) {
    const { Item } = await documents.send(
      new GetCommand({ TableName: tableName, Key: idempotencyKey(clientId, key), ConsistentRead: true }),
    );
    if (!Item) throw platformError(ErrorReason.WRITE_CONFLICT, "the idempotency key changed while reading it; retry");
    if (Item.requestHash !== requestHash) return create(BeginReservationResponseSchema, { outcome: BeginOutcome.KEY_REUSED });
    const reservation = await readReservation(String(Item.reservationId));
    if (Item.state !== "complete") {
      return create(BeginReservationResponseSchema, {
        outcome: BeginOutcome.IN_PROGRESS,
        reservation: reservation ? await readable(reservation) : undefined,
      });
    }
    if (Item.outcome === "refusal") {
      const reason = ErrorReason[String(Item.refusalReason) as keyof typeof ErrorReason] ?? ErrorReason.UNSPECIFIED;
      return create(BeginReservationResponseSchema, {
        outcome: BeginOutcome.REPLAY,
        refusal: create(RefusalSchema, { reason, message: String(Item.refusalMessage ?? "") }),
      });
    }
    // The reservation as it is now: a request first answered "still pending" learns how it ended.
    return create(BeginReservationResponseSchema, {
      outcome: BeginOutcome.REPLAY,
      reservation: reservation ? withoutPatient(fromItem(reservation, {})) : undefined,
      firstAnswerPending: Item.firstAnswer === "pending",
    });
  }
}

type TransactItems = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]>;

interface Transition {
  from: ReservationStatus[];
  to: ReservationStatus;
  providerBookingRef?: string;
  holdExpiresAt?: Date;
  statusReason?: string;
  /** Why the provider did not take it, kept to answer retries of the request that began it. */
  refusal?: Refusal;
  /** What becomes of the slot claim: lapse with the hold, stay for good, be freed, or stay as it is. */
  claim: "until-hold-expiry" | "for-good" | "free" | "unchanged";
  now?: Timestamp;
}

const invalid = (message: string) => platformError(ErrorReason.INVALID_ARGUMENT, message);

/** Aliases followed from one id, at most: a chain longer than rotations within a grace period is a fault, not a patient. */
const maxAliasHops = 4;

/** Statuses are stored by name ("held"), so that the table reads plainly and survives renumbering. */
const storedStatus: Record<ReservationStatus, string> = {
  [ReservationStatus.UNSPECIFIED]: "unspecified",
  [ReservationStatus.PENDING]: "pending",
  [ReservationStatus.HELD]: "held",
  [ReservationStatus.CONFIRMED]: "confirmed",
  [ReservationStatus.CANCELLED]: "cancelled",
  [ReservationStatus.RELEASED]: "released",
  [ReservationStatus.EXPIRED]: "expired",
};
const statusToItem = (status: ReservationStatus) => storedStatus[status];
function statusFromItem(value: unknown): ReservationStatus {
  const found = Object.entries(storedStatus).find(([, name]) => name === value);
  return found ? (Number(found[0]) as ReservationStatus) : ReservationStatus.UNSPECIFIED;
}

/** What is replayed to a retrying client carries no personal data at rest beyond the reservation itself. */
function withoutPatient(reservation: Reservation): Reservation {
  return create(ReservationSchema, { ...reservation, patient: undefined });
}

/** The reservation's fields that are not personal: everything but the patient and the note. */
function toItem(r: Reservation) {
  return {
    type: "reservation",
    id: r.id,
    clientId: r.clientId,
    status: statusToItem(r.status),
    treatmentId: r.treatmentId,
    clinicId: r.clinicId,
    providerInstanceId: r.providerInstanceId,
    providerSlotId: r.providerSlotId,
    slotId: r.slotId,
    start: timestampDate(r.start!).toISOString(),
    end: timestampDate(r.end!).toISOString(),
    timeZone: r.timeZone,
    patientId: r.patientId,
  };
}

/** What of a reservation is personal, to be encrypted. */
function personalDataOf(r: Reservation): PersonalData {
  return {
    patient: r.patient
      ? {
          name: r.patient.name,
          personalIdentityNumber: r.patient.personalIdentityNumber,
          dateOfBirth: r.patient.dateOfBirth,
          phone: r.patient.phone,
          email: r.patient.email,
        }
      : undefined,
    note: r.note || undefined,
  };
}

/**
 * The personal data of a stored item: decrypted from `patientData`, or as an
 * item from before encryption holds it in the clear, until the migration has
 * encrypted it.
 */
export async function storedPersonalData(cipher: PatientDataCipher, item: Record<string, unknown>): Promise<PersonalData> {
  if (!(item.patientData instanceof Uint8Array)) {
    return { patient: item.patient as PersonalData["patient"], note: typeof item.note === "string" ? item.note : undefined };
  }
  try {
    return await cipher.decrypt(String(item.id), item.patientData);
  } catch (error) {
    // Altered, moved from another item, or under a key this process lacks: no caller can act on that; operators must.
    if (error instanceof PatientDataUnreadable) throw new ConnectError(error.message, Code.DataLoss);
    throw error;
  }
}

function fromItem(item: Record<string, unknown>, personal: PersonalData): Reservation {
  const instant = (field: string) => (typeof item[field] === "string" ? timestampFromDate(new Date(String(item[field]))) : undefined);
  return create(ReservationSchema, {
    id: String(item.id),
    status: statusFromItem(item.status),
    treatmentId: String(item.treatmentId ?? ""),
    clinicId: String(item.clinicId ?? ""),
    providerInstanceId: String(item.providerInstanceId),
    providerSlotId: String(item.providerSlotId),
    slotId: String(item.slotId ?? ""),
    start: instant("start"),
    end: instant("end"),
    createdAt: instant("createdAt"),
    updatedAt: instant("updatedAt"),
    holdExpiresAt: instant("holdExpiresAt"),
    timeZone: String(item.timeZone ?? ""),
    patientId: String(item.patientId ?? ""),
    patient: personal.patient ? create(PatientSchema, personal.patient) : undefined,
    note: personal.note ?? "",
    providerBookingRef: String(item.providerBookingRef ?? ""),
    statusReason: String(item.statusReason ?? ""),
    idempotencyKey: String(item.idempotencyKey ?? ""),
    clientId: String(item.clientId ?? ""),
  });
}
