import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { create } from "@bufbuild/protobuf";
import { type Timestamp, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { PatientSchema, type Reservation, ReservationSchema } from "../../contracts/v1/booking_pb.js";
import { queryAll } from "../../utilities/dynamodb/batch.js";
import { gsi1 } from "../../utilities/dynamodb/table-design.js";
import {
  BeginOutcome,
  BeginReservationResponseSchema,
  type BookingAccessService,
  GetReservationResponseSchema,
  ListLapsedHoldsResponseSchema,
  ListPatientReservationsResponseSchema,
  ListPendingReservationsResponseSchema,
  SettleReservationResponseSchema,
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
 *
 * Access patterns:
 * 1. begin a reservation    TransactWriteItems: claim (attribute_not_exists(pk) OR expiresAt < :now)
 *                           + idempotency key (attribute_not_exists(pk) OR expiresAt < :now)
 *                           + reservation (attribute_not_exists(pk)) + pending marker
 * 2. settle a reservation   TransactWriteItems: reservation status (status = :expected)
 *                           + delete pending marker + release (delete) or re-time the claim
 *                           (reservationId = :id) + complete the idempotency key
 * 3. a reservation by id    GetItem RESERVATION#<id>
 * 4. a patient's reservations  Query gsi1 PATIENT#<patientId>, by start
 * 5. pending reservations   Query PENDING, sk < <cut-off instant>
 * 6. lapsed holds           Query HOLD, sk < <now>
 *
 * Expiry (holds, idempotency keys after 24 h) is enforced in these conditions
 * and in reads, never by waiting for TTL: DynamoDB deletes expired items
 * lazily. `ttl` is set for clean-up only.
 */
const reservationKey = (id: string) => ({ pk: `RESERVATION#${id}`, sk: "RESERVATION" });
const claimKey = (providerInstanceId: string, providerSlotId: string) => ({
  pk: `SLOTCLAIM#${providerInstanceId}#${providerSlotId}`,
  sk: "CLAIM",
});
const idempotencyKey = (key: string) => ({ pk: `IDEMPOTENCY#${key}`, sk: "KEY" });
const pendingKey = (createdAt: string, id: string) => ({ pk: "PENDING", sk: `${createdAt}#${id}` });
const holdKey = (holdExpiresAt: string, id: string) => ({ pk: "HOLD", sk: `${holdExpiresAt}#${id}` });

export const idempotencyKeyLifetimeMs = 24 * 3_600_000;
const ttlSeconds = (epochMs: number) => Math.ceil(epochMs / 1000);

export interface BookingAccessDeps {
  documents: DynamoDBDocumentClient;
  tableName: string;
  now?: () => Date;
}

export function createBookingAccess({
  documents,
  tableName,
  now = () => new Date(),
}: BookingAccessDeps): ServiceImpl<typeof BookingAccessService> {
  const clock = (timestamp: Timestamp | undefined) => (timestamp ? timestampDate(timestamp) : now());

  const readReservation = async (id: string) => {
    const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: reservationKey(id), ConsistentRead: true }));
    return Item;
  };

  return {
    async beginReservation(request) {
      const reservation = request.reservation;
      if (!request.idempotencyKey || !request.requestHash) throw invalid("idempotency_key and request_hash are required");
      if (!reservation?.id || !reservation.providerInstanceId || !reservation.providerSlotId || !reservation.start || !reservation.end) {
        throw invalid("a reservation needs id, provider instance, provider slot, start and end");
      }
      const at = clock(request.now);
      const createdAt = at.toISOString();
      const keyExpires = at.getTime() + idempotencyKeyLifetimeMs;
      const item = {
        ...reservationKey(reservation.id),
        ...toItem({ ...reservation, status: "pending" }),
        gsi1pk: `PATIENT#${reservation.patientId}`,
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
                    ...idempotencyKey(request.idempotencyKey),
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
        if (key === "ConditionalCheckFailed") return answerKnownKey(request.idempotencyKey, request.requestHash);
        if (claim === "ConditionalCheckFailed") {
          throw new ConnectError(
            `the slot ${reservation.providerSlotId} at ${reservation.providerInstanceId} is already reserved`,
            Code.AlreadyExists,
          );
        }
        if (record === "ConditionalCheckFailed") throw new ConnectError(`reservation ${reservation.id} already exists`, Code.AlreadyExists);
        // Two writers touched the same items at the same instant (TransactionConflict): the loser may retry.
        throw new ConnectError("the reservation collided with a concurrent one; retry", Code.Aborted);
      }
      return create(BeginReservationResponseSchema, { outcome: BeginOutcome.STARTED, reservation: fromItem(item) });
    },

    async settleReservation(request) {
      if (!request.id || !request.expectedStatus || !request.newStatus) throw invalid("id, expected_status and new_status are required");
      const at = clock(request.now);
      const current = await readReservation(request.id);
      if (!current) throw new ConnectError(`reservation ${request.id} not found`, Code.NotFound);
      if (current.status !== request.expectedStatus) {
        throw new ConnectError(`reservation ${request.id} is ${current.status}, not ${request.expectedStatus}`, Code.FailedPrecondition);
      }
      const updatedAt = at.toISOString();
      const set: Record<string, unknown> = { status: request.newStatus, updatedAt, statusReason: request.statusReason };
      if (request.providerBookingRef) set.providerBookingRef = request.providerBookingRef;
      if (request.holdExpiresAt) set.holdExpiresAt = timestampDate(request.holdExpiresAt).toISOString();
      if (request.newStatus !== "held") set.holdExpiresAt = undefined;
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = { ":expected": request.expectedStatus };
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
      const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]> = [
        {
          Update: {
            TableName: tableName,
            Key: reservationKey(request.id),
            UpdateExpression: `SET ${assignments.join(", ")}${removals.length ? ` REMOVE ${removals.join(", ")}` : ""}`,
            ConditionExpression: "#status = :expected",
            ExpressionAttributeNames: { ...names, "#status": "status" },
            ExpressionAttributeValues: values,
          },
        },
      ];
      if (request.expectedStatus === "pending") {
        items.push({ Delete: { TableName: tableName, Key: pendingKey(String(current.createdAt), request.id) } });
      }
      if (request.expectedStatus === "held" && typeof current.holdExpiresAt === "string") {
        items.push({ Delete: { TableName: tableName, Key: holdKey(current.holdExpiresAt, request.id) } });
      }
      if (request.newStatus === "held" && request.holdExpiresAt) {
        items.push({
          Put: {
            TableName: tableName,
            Item: { ...holdKey(timestampDate(request.holdExpiresAt).toISOString(), request.id), type: "hold", reservationId: request.id },
          },
        });
      }
      const claim = claimKey(String(current.providerInstanceId), String(current.providerSlotId));
      const ownsClaim = { ConditionExpression: "reservationId = :id", ExpressionAttributeValues: { ":id": request.id } };
      const { Item: claimItem } = await documents.send(new GetCommand({ TableName: tableName, Key: claim, ConsistentRead: true }));
      if (claimItem?.reservationId === request.id) {
        if (request.releaseClaim) items.push({ Delete: { TableName: tableName, Key: claim, ...ownsClaim } });
        else if (request.claimExpiresAt) {
          const expiresAt = timestampDate(request.claimExpiresAt).getTime();
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
        } else if (claimItem.expiresAt !== undefined) {
          // Confirmed: the claim no longer lapses.
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
      } else if (!request.releaseClaim && ["held", "confirmed"].includes(request.newStatus)) {
        // Someone took the slot over after our hold lapsed: it is not ours to confirm.
        throw new ConnectError(`reservation ${request.id} no longer holds its slot`, Code.FailedPrecondition);
      }
      if (request.idempotencyKey) {
        items.push({
          Update: {
            TableName: tableName,
            Key: idempotencyKey(request.idempotencyKey),
            UpdateExpression: "SET #state = :complete, responseStatus = :status, responseBody = :body",
            ConditionExpression: "reservationId = :id",
            ExpressionAttributeNames: { "#state": "state" },
            ExpressionAttributeValues: {
              ":complete": "complete",
              ":status": request.responseStatus,
              ":body": request.responseBody,
              ":id": request.id,
            },
          },
        });
      }
      try {
        await documents.send(new TransactWriteCommand({ TransactItems: items }));
      } catch (error) {
        if (error instanceof TransactionCanceledException) {
          throw new ConnectError(`reservation ${request.id} changed while settling it; read it again`, Code.Aborted);
        }
        throw error;
      }
      const settled = await readReservation(request.id);
      return create(SettleReservationResponseSchema, { reservation: fromItem(settled!) });
    },

    async getReservation(request) {
      if (!request.id) throw invalid("id is required");
      const item = await readReservation(request.id);
      if (!item) throw new ConnectError(`reservation ${request.id} not found`, Code.NotFound);
      return create(GetReservationResponseSchema, { reservation: fromItem(item) });
    },

    async listPatientReservations(request) {
      if (!request.patientId) throw invalid("patient_id is required");
      const items = await queryAll(documents, {
        TableName: tableName,
        IndexName: gsi1,
        KeyConditionExpression: "gsi1pk = :pk",
        ExpressionAttributeValues: { ":pk": `PATIENT#${request.patientId}` },
      });
      return create(ListPatientReservationsResponseSchema, { reservations: items.map(fromItem) });
    },

    async listPendingReservations(request) {
      const reservations = await marked("PENDING", clock(request.beganBefore).toISOString(), "pending");
      return create(ListPendingReservationsResponseSchema, { reservations });
    },

    async listLapsedHolds(request) {
      const reservations = await marked("HOLD", clock(request.expiredBefore).toISOString(), "held");
      return create(ListLapsedHoldsResponseSchema, { reservations });
    },
  };

  /** The reservations a marker partition lists before an instant, still in the given status. */
  async function marked(partition: "PENDING" | "HOLD", before: string, status: string): Promise<Reservation[]> {
    const markers = await queryAll(documents, {
      TableName: tableName,
      KeyConditionExpression: "pk = :pk AND sk < :before",
      ExpressionAttributeValues: { ":pk": partition, ":before": before },
    });
    const reservations: Reservation[] = [];
    for (const marker of markers) {
      const item = await readReservation(String(marker.reservationId));
      if (item?.status === status) reservations.push(fromItem(item));
    }
    return reservations;
  }

  async function answerKnownKey(key: string, requestHash: string) {
    const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: idempotencyKey(key), ConsistentRead: true }));
    if (!Item) throw new ConnectError("the idempotency key changed while reading it; retry", Code.Aborted);
    if (Item.requestHash !== requestHash) return create(BeginReservationResponseSchema, { outcome: BeginOutcome.KEY_REUSED });
    const reservation = await readReservation(String(Item.reservationId));
    if (Item.state !== "complete") {
      return create(BeginReservationResponseSchema, {
        outcome: BeginOutcome.IN_PROGRESS,
        reservation: reservation ? fromItem(reservation) : undefined,
      });
    }
    return create(BeginReservationResponseSchema, {
      outcome: BeginOutcome.REPLAY,
      reservation: reservation ? fromItem(reservation) : undefined,
      storedStatus: Number(Item.responseStatus),
      storedBody: String(Item.responseBody),
    });
  }
}

const invalid = (message: string) => new ConnectError(message, Code.InvalidArgument);

function toItem(r: Reservation) {
  return {
    type: "reservation",
    id: r.id,
    status: r.status,
    treatmentId: r.treatmentId,
    clinicId: r.clinicId,
    providerInstanceId: r.providerInstanceId,
    providerSlotId: r.providerSlotId,
    slotId: r.slotId,
    start: timestampDate(r.start!).toISOString(),
    end: timestampDate(r.end!).toISOString(),
    timeZone: r.timeZone,
    patientId: r.patientId,
    patient: r.patient
      ? {
          name: r.patient.name,
          personalIdentityNumber: r.patient.personalIdentityNumber,
          dateOfBirth: r.patient.dateOfBirth,
          phone: r.patient.phone,
          email: r.patient.email,
        }
      : undefined,
    note: r.note,
  };
}

function fromItem(item: Record<string, unknown>): Reservation {
  const instant = (field: string) => (typeof item[field] === "string" ? timestampFromDate(new Date(String(item[field]))) : undefined);
  const patient = item.patient as Record<string, string> | undefined;
  return create(ReservationSchema, {
    id: String(item.id),
    status: String(item.status),
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
    patient: patient ? create(PatientSchema, patient) : undefined,
    note: String(item.note ?? ""),
    providerBookingRef: String(item.providerBookingRef ?? ""),
    statusReason: String(item.statusReason ?? ""),
    idempotencyKey: String(item.idempotencyKey ?? ""),
  });
}
