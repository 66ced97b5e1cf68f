import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  GetReservationResponseSchema,
  RecordReservationResponseSchema,
  ReservationSchema,
  type BookingAccessService,
  type Reservation,
} from "./v1/booking_access_pb.js";

/*
 * Key design (single table; docs/data-model.md has every entity):
 *
 * | item        | pk                                        | sk          |
 * |-------------|-------------------------------------------|-------------|
 * | reservation | RESERVATION#<id>                          | RESERVATION |
 * | slot claim  | SLOTCLAIM#<providerInstanceId>#<slotId>   | CLAIM       |
 *
 * Access patterns:
 * 1. reserve a slot at most once   TransactWriteItems: put claim (attribute_not_exists(pk))
 *                                  + put reservation (attribute_not_exists(pk))
 * 2. a reservation by id           GetItem RESERVATION#<id>
 *
 * The claim is what makes double booking impossible across any number of
 * processes: DynamoDB accepts exactly one conditional put per key.
 */
const reservationKey = (id: string) => ({ pk: `RESERVATION#${id}`, sk: "RESERVATION" });
const claimKey = (providerInstanceId: string, providerSlotId: string) => ({
  pk: `SLOTCLAIM#${providerInstanceId}#${providerSlotId}`,
  sk: "CLAIM",
});

export interface BookingAccessDeps {
  documents: DynamoDBDocumentClient;
  tableName: string;
  now?: () => Date;
}

export function createBookingAccess({ documents, tableName, now = () => new Date() }: BookingAccessDeps): ServiceImpl<typeof BookingAccessService> {
  return {
    async recordReservation(request) {
      const reservation = request.reservation;
      if (!reservation?.id || !reservation.providerInstanceId || !reservation.providerSlotId || !reservation.start || !reservation.end) {
        throw new ConnectError("a reservation needs id, provider instance, provider slot, start and end", Code.InvalidArgument);
      }
      const createdAt = now();
      try {
        await documents.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: tableName,
                  Item: {
                    ...claimKey(reservation.providerInstanceId, reservation.providerSlotId),
                    type: "slot-claim",
                    reservationId: reservation.id,
                  },
                  ConditionExpression: "attribute_not_exists(pk)",
                },
              },
              {
                Put: {
                  TableName: tableName,
                  Item: {
                    ...reservationKey(reservation.id),
                    type: "reservation",
                    id: reservation.id,
                    status: reservation.status,
                    treatmentId: reservation.treatmentId,
                    clinicId: reservation.clinicId,
                    providerInstanceId: reservation.providerInstanceId,
                    providerSlotId: reservation.providerSlotId,
                    start: timestampDate(reservation.start).toISOString(),
                    end: timestampDate(reservation.end).toISOString(),
                    createdAt: createdAt.toISOString(),
                  },
                  ConditionExpression: "attribute_not_exists(pk)",
                },
              },
            ],
          }),
        );
      } catch (error) {
        if (error instanceof TransactionCanceledException) {
          const [claim, record] = error.CancellationReasons ?? [];
          if (claim?.Code === "ConditionalCheckFailed") {
            throw new ConnectError(`slot ${reservation.providerSlotId} at ${reservation.providerInstanceId} is already reserved`, Code.AlreadyExists);
          }
          if (record?.Code === "ConditionalCheckFailed") {
            throw new ConnectError(`reservation ${reservation.id} already exists`, Code.AlreadyExists);
          }
          // Another transaction touched the same items at the same instant: the caller may retry.
          throw new ConnectError("the reservation conflicted with a concurrent one; try again", Code.Aborted);
        }
        throw error;
      }
      return create(RecordReservationResponseSchema, {
        reservation: create(ReservationSchema, { ...reservation, createdAt: timestampFromDate(createdAt) }),
      });
    },

    async getReservation(request) {
      if (!request.id) throw new ConnectError("id is required", Code.InvalidArgument);
      const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: reservationKey(request.id), ConsistentRead: true }));
      if (!Item) throw new ConnectError(`reservation ${request.id} not found`, Code.NotFound);
      return create(GetReservationResponseSchema, { reservation: toReservation(Item) });
    },
  };
}

function toReservation(item: Record<string, unknown>): Reservation {
  return create(ReservationSchema, {
    id: String(item.id),
    status: String(item.status ?? ""),
    treatmentId: String(item.treatmentId ?? ""),
    clinicId: String(item.clinicId ?? ""),
    providerInstanceId: String(item.providerInstanceId),
    providerSlotId: String(item.providerSlotId),
    start: timestampFromDate(new Date(String(item.start))),
    end: timestampFromDate(new Date(String(item.end))),
    createdAt: timestampFromDate(new Date(String(item.createdAt))),
  });
}
