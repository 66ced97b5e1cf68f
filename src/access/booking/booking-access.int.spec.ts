import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestTable } from "../../utilities/dynamodb/testing.js";
import { createBookingAccess } from "./booking-access.js";
import { BookingAccessService, ReservationSchema } from "./v1/booking_access_pb.js";

const reservation = (id: string, providerSlotId: string) =>
  create(ReservationSchema, {
    id,
    status: "confirmed",
    treatmentId: "dental-checkup",
    clinicId: "odenplan-clinic",
    providerInstanceId: "klinikbokning-demo",
    providerSlotId,
    start: timestampFromDate(new Date("2026-03-29T07:00:00Z")),
    end: timestampFromDate(new Date("2026-03-29T07:30:00Z")),
  });

describe("reservations in DynamoDB", () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let access: ReturnType<typeof createClient<typeof BookingAccessService>>;

  beforeAll(async () => {
    table = await createTestTable(inject("dynamodbEndpoint"));
    const impl = createBookingAccess({ documents: table.documents, tableName: table.tableName });
    access = createClient(BookingAccessService, createRouterTransport(({ service }) => service(BookingAccessService, impl)));
  });
  afterAll(() => table.drop());

  it("keeps a reservation with its instants exactly", async () => {
    await access.recordReservation({ reservation: reservation("r-1", "slot-1") });
    const { reservation: stored } = await access.getReservation({ id: "r-1" });
    expect(stored).toMatchObject({ id: "r-1", status: "confirmed", providerSlotId: "slot-1" });
    expect(timestampDate(stored!.start!).toISOString()).toBe("2026-03-29T07:00:00.000Z");
    expect(stored!.createdAt).toBeDefined();
  });

  it("refuses a second reservation of the same provider slot", async () => {
    await access.recordReservation({ reservation: reservation("r-2", "slot-2") });
    await expect(access.recordReservation({ reservation: reservation("r-3", "slot-2") })).rejects.toMatchObject({
      code: Code.AlreadyExists,
    });
    await expect(access.getReservation({ id: "r-3" })).rejects.toMatchObject({ code: Code.NotFound });
  });

  it("lets exactly one of twenty patients racing for one slot have it", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => access.recordReservation({ reservation: reservation(`race-${i}`, "slot-race") })),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const loss of lost) expect([Code.AlreadyExists, Code.Aborted]).toContain(ConnectError.from(loss.reason).code);
  });

  it("says a reservation it does not know is not found", async () => {
    await expect(access.getReservation({ id: "nope" })).rejects.toMatchObject({ code: Code.NotFound });
  });
});
