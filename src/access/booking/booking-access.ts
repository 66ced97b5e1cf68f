import { ConditionalCheckFailedException, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
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
  ListChangesResponseSchema,
  ListLapsedHoldsResponseSchema,
  ListPatientReservationsResponseSchema,
  ListPendingReservationsResponseSchema,
  ListReleasesToVerifyResponseSchema,
  ListUpcomingBookingsResponseSchema,
  RecordedReservationSchema,
  RecordProviderChangeRequest_Change,
  type Refusal,
  RefusalSchema,
  ReservationChangeSchema,
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
 * | release check   | RELEASECHECK                             | <nextCheckAt>#<id> |             |                 |
 * | upcoming booking| UPCOMING#<start day, UTC>                | <start>#<id> |                   |                 |
 * | change          | CHANGES#<clientId>                       | <occurredAt>#<id>#<version> |    |                 |
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
 * 7. releases to verify     Query RELEASECHECK, sk < <now> (written with a release made without the provider's answer)
 * 8. upcoming bookings      Query UPCOMING#<day> for each coming day (written and moved with every confirmed booking)
 * 9. a client's changes     Query CHANGES#<clientId>, sk after the cursor and before now − 2 s (one item per
 *                           change, written in the transaction that makes it)
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
/** A release made without the provider's answer, due to be verified there again at `nextCheckAt`. */
const releaseCheckKey = (nextCheckAt: string, id: string) => ({ pk: "RELEASECHECK", sk: `${nextCheckAt}#${id}` });
/** A confirmed reservation, under the (UTC) day it starts: the drift check reads the coming days. */
const upcomingKey = (start: string, id: string) => ({ pk: `UPCOMING#${start.slice(0, 10)}`, sk: `${start}#${id}` });
/**
 * One change of one of a client's reservations: the change feed, ordered by when it happened, and
 * (for one reservation's changes at one instant, e.g. pending then held in one request) by its version.
 */
const changeKey = (clientId: string, occurredAt: string, id: string, version: number) => ({
  pk: `CHANGES#${clientId}`,
  sk: `${occurredAt}#${id}#${String(version).padStart(6, "0")}`,
});

/** How long released reservations are verified at their provider again; changes kept for the feed. */
export const releaseVerificationWindowMs = 24 * 3_600_000;
export const changeRetentionMs = 7 * 24 * 3_600_000;
/** Changes younger than this are not handed out yet: writers' clocks differ a little, and a reader must not skip past one. */
export const changeSettleMs = 2000;

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
    // Every change counts: the feed orders one reservation's changes by this, whatever the clocks say.
    const version = Number(current.version ?? 1) + 1;
    const set: Record<string, unknown> = { status: statusToItem(change.to), updatedAt, statusReason: change.statusReason ?? "", version };
    if (change.providerBookingRef) set.providerBookingRef = change.providerBookingRef;
    set.holdExpiresAt = change.to === ReservationStatus.HELD && change.holdExpiresAt ? change.holdExpiresAt.toISOString() : undefined;
    const start = change.moveTo ? change.moveTo.start.toISOString() : String(current.start);
    if (change.moveTo) {
      set.providerSlotId = change.moveTo.providerSlotId;
      set.start = start;
      set.end = change.moveTo.end.toISOString();
      set.gsi1sk = `${start}#${id}`;
    }
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

    // Confirmed reservations are listed by the day they start, for the drift check.
    const wasUpcoming = currentStatus === ReservationStatus.CONFIRMED ? upcomingKey(String(current.start), id) : undefined;
    const isUpcoming = change.to === ReservationStatus.CONFIRMED ? upcomingKey(start, id) : undefined;
    if (wasUpcoming?.sk !== isUpcoming?.sk) {
      if (wasUpcoming) items.push({ Delete: { TableName: tableName, Key: wasUpcoming } });
      if (isUpcoming) items.push({ Put: { TableName: tableName, Item: { ...isUpcoming, type: "upcoming", reservationId: id } } });
    }
    // A release without the provider's answer is verified there again, so that a late hold or booking never stays.
    if (change.verifyReleaseAt) {
      const until = at.getTime() + releaseVerificationWindowMs;
      items.push({
        Put: {
          TableName: tableName,
          Item: {
            ...releaseCheckKey(change.verifyReleaseAt.toISOString(), id),
            type: "release-check",
            reservationId: id,
            until,
            ttl: ttlSeconds(until),
          },
        },
      });
    }
    // The change feed's outbox, in the same transaction as the change itself: never one without the other.
    if (change.to !== currentStatus || change.moveTo) {
      const occurredAt = at.toISOString();
      const until = at.getTime() + changeRetentionMs;
      items.push({
        Put: {
          TableName: tableName,
          Item: {
            ...changeKey(String(current.clientId ?? ""), occurredAt, id, version),
            type: "change",
            reservationId: id,
            status: statusToItem(change.to),
            statusReason: change.statusReason ?? "",
            occurredAt,
            start,
            end: change.moveTo ? change.moveTo.end.toISOString() : String(current.end),
            ttl: ttlSeconds(until),
          },
        },
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
    } else if (change.claim === "moved" && change.moveTo) {
      // The provider moved the booking: its new slot is ours now, whoever claimed it here (the provider's truth wins).
      if (owned) items.push({ Delete: { TableName: tableName, Key: claim, ...ownsClaim } });
      items.push({
        Put: {
          TableName: tableName,
          Item: { ...claimKey(String(current.providerInstanceId), change.moveTo.providerSlotId), type: "slot-claim", reservationId: id },
        },
      });
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
        version: 1,
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
              // The change feed's outbox: the reservation's first change, with it.
              {
                Put: {
                  TableName: tableName,
                  Item: {
                    ...changeKey(reservation.clientId, createdAt, reservation.id, 1),
                    type: "change",
                    reservationId: reservation.id,
                    status: "pending",
                    statusReason: "",
                    occurredAt: createdAt,
                    start: item.start,
                    end: item.end,
                    ttl: ttlSeconds(at.getTime() + changeRetentionMs),
                  },
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
        verifyReleaseAt: request.verifyAt ? timestampDate(request.verifyAt) : undefined,
        now: request.now,
      }),

    recordProviderChange: (request) => {
      if (request.change === RecordProviderChangeRequest_Change.MOVED) {
        if (!request.providerSlotId || !request.start || !request.end) throw invalid("a move needs the new provider slot, start and end");
        return transition(request.id, {
          from: [ReservationStatus.CONFIRMED],
          to: ReservationStatus.CONFIRMED,
          statusReason: request.statusReason,
          claim: "moved",
          moveTo: { providerSlotId: request.providerSlotId, start: timestampDate(request.start), end: timestampDate(request.end) },
          now: request.now,
        });
      }
      if (request.change !== RecordProviderChangeRequest_Change.CANCELLED) throw invalid("change must be cancelled or moved");
      return transition(request.id, {
        from: [ReservationStatus.CONFIRMED],
        to: ReservationStatus.CANCELLED,
        statusReason: request.statusReason,
        claim: "free",
        now: request.now,
      });
    },

    async listReleasesToVerify(request) {
      const at = clock(request.now);
      const markers = await queryAll(documents, {
        TableName: tableName,
        KeyConditionExpression: "pk = :pk AND sk < :now",
        ExpressionAttributeValues: { ":pk": "RELEASECHECK", ":now": at.toISOString() },
      });
      const due = markers.filter((m) => Number(m.until) > at.getTime()).slice(0, request.limit || 100);
      const reservations: Reservation[] = [];
      for (const marker of due) {
        const item = await readReservation(String(marker.reservationId));
        // Checked at the provider by our reference alone: the patient's data is not decrypted for it.
        if (item) reservations.push(fromItem(item, {}));
      }
      return create(ListReleasesToVerifyResponseSchema, { reservations });
    },

    async recordReleaseVerified(request) {
      const at = clock(request.now);
      const markers = await queryAll(documents, {
        TableName: tableName,
        KeyConditionExpression: "pk = :pk",
        FilterExpression: "reservationId = :id",
        ExpressionAttributeValues: { ":pk": "RELEASECHECK", ":id": request.id },
      });
      const items: TransactItems = markers.map((m) => ({
        Delete: { TableName: tableName, Key: { pk: "RELEASECHECK", sk: String(m.sk) } },
      }));
      const until = Number(markers[0]?.until ?? at.getTime());
      if (request.nextCheckAt && timestampDate(request.nextCheckAt).getTime() < until) {
        items.push({
          Put: {
            TableName: tableName,
            Item: {
              ...releaseCheckKey(timestampDate(request.nextCheckAt).toISOString(), request.id),
              type: "release-check",
              reservationId: request.id,
              until,
              ttl: ttlSeconds(until),
            },
          },
        });
      }
      if (items.length > 0) await documents.send(new TransactWriteCommand({ TransactItems: items }));
      return {};
    },

    async listUpcomingBookings(request) {
      const from = clock(request.from);
      const until = request.until ? timestampDate(request.until) : new Date(from.getTime() + 7 * 86_400_000);
      const days: string[] = [];
      for (
        let day = new Date(from.toISOString().slice(0, 10));
        day < until && days.length < 62;
        day = new Date(day.getTime() + 86_400_000)
      ) {
        days.push(day.toISOString().slice(0, 10));
      }
      const markers = (
        await Promise.all(
          days.map((day) =>
            queryAll(documents, {
              TableName: tableName,
              KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :until",
              ExpressionAttributeValues: { ":pk": `UPCOMING#${day}`, ":from": from.toISOString(), ":until": until.toISOString() },
            }),
          ),
        )
      ).flat();
      // Least recently verified first, so that a limit per run still reaches every booking in turn.
      markers.sort((a, b) => String(a.verifiedAt ?? "").localeCompare(String(b.verifiedAt ?? "")));
      const reservations: Reservation[] = [];
      for (const marker of markers.slice(0, request.limit || 100)) {
        const item = await readReservation(String(marker.reservationId));
        // As above: checked by our reference alone, without the patient's data.
        if (item && statusFromItem(item.status) === ReservationStatus.CONFIRMED) reservations.push(fromItem(item, {}));
      }
      return create(ListUpcomingBookingsResponseSchema, { reservations });
    },

    async recordBookingVerified(request) {
      const item = await readReservation(request.id);
      if (!item || statusFromItem(item.status) !== ReservationStatus.CONFIRMED) return {};
      await documents
        .send(
          new UpdateCommand({
            TableName: tableName,
            Key: upcomingKey(String(item.start), request.id),
            UpdateExpression: "SET verifiedAt = :at",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: { ":at": clock(request.now).toISOString() },
          }),
        )
        .catch((error: unknown) => {
          // Cancelled or moved meanwhile: its marker is gone or elsewhere, and nothing needs noting.
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        });
      return {};
    },

    async listChanges(request) {
      if (!request.clientId) throw invalid("client_id is required");
      const horizon = new Date(clock(request.now).getTime() - changeSettleMs).toISOString();
      const after = request.after ? decodeCursor(request.after) : "";
      const { Items = [] } = await documents.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: after ? "pk = :pk AND sk BETWEEN :after AND :horizon" : "pk = :pk AND sk < :horizon",
          ExpressionAttributeValues: {
            ":pk": `CHANGES#${request.clientId}`,
            ":horizon": horizon,
            ...(after ? { ":after": `${after}\u0000` } : {}),
          },
          Limit: Math.min(Math.max(request.limit || 100, 1), 500),
        }),
      );
      const changes = Items.map((item) =>
        create(ReservationChangeSchema, {
          cursor: encodeCursor(String(item.sk)),
          reservationId: String(item.reservationId),
          status: statusFromItem(item.status),
          statusReason: String(item.statusReason ?? ""),
          occurredAt: timestampFromDate(new Date(String(item.occurredAt))),
          start: typeof item.start === "string" ? timestampFromDate(new Date(item.start)) : undefined,
          end: typeof item.end === "string" ? timestampFromDate(new Date(item.end)) : undefined,
        }),
      );
      return create(ListChangesResponseSchema, { changes, nextCursor: changes.at(-1)?.cursor ?? request.after });
    },

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
  /** What becomes of the slot claim: lapse with the hold, stay for good, be freed, stay as it is, or follow a move. */
  claim: "until-hold-expiry" | "for-good" | "free" | "unchanged" | "moved";
  /** The provider moved the booking here. */
  moveTo?: { providerSlotId: string; start: Date; end: Date };
  /** Released without the provider's answer: verify the release at the provider from then on. */
  verifyReleaseAt?: Date;
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

/** Feed cursors are the change's sort key, opaque to clients. */
const encodeCursor = (sk: string) => Buffer.from(sk).toString("base64url");
function decodeCursor(cursor: string): string {
  const sk = Buffer.from(cursor, "base64url").toString("utf8");
  if (!/^\d{4}-\d{2}-\d{2}T[\d:.]+Z#/.test(sk)) throw invalid("the cursor is not one this feed handed out");
  return sk;
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
