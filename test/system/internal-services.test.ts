import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, inject, it } from "vitest";
import { BookingAccessService } from "../../src/access/booking/v1/booking_access_pb.js";
import { CatalogAccessService } from "../../src/access/catalog/v1/catalog_access_pb.js";
import { ProviderAccessService } from "../../src/access/provider/v1/provider_access_pb.js";
import { AvailabilityEngineService } from "../../src/engines/availability/v1/availability_engine_pb.js";
import { ReservationEngineService } from "../../src/engines/reservation/v1/reservation_engine_pb.js";
import { BookingManagerService } from "../../src/managers/booking/v1/booking_manager_pb.js";
import { platformTokenHeader } from "../../src/utilities/rpc/platform-credential.js";
import { connects, outwardAddresses } from "../support/network.js";

const system = inject("system");

/** A gRPC transport to one service as an outsider would open it: with the given token, or none. */
const transport = (service: string, token?: string) =>
  createGrpcTransport({
    baseUrl: system.urls[service]!,
    interceptors: token
      ? [
          (next) => (req) => {
            req.header.set(platformTokenHeader, token);
            return next(req);
          },
        ]
      : [],
  });

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => Code[0],
    (error: unknown) => Code[ConnectError.from(error).code],
  );

/** One call per service that is harmless with the credential, and what it must answer without it. */
const calls: Array<[string, (token?: string) => Promise<unknown>]> = [
  ["catalog-access", (token) => createClient(CatalogAccessService, transport("catalog-access", token)).listTreatments({})],
  [
    "booking-access (a patient's reservations, with their personal data)",
    (token) => createClient(BookingAccessService, transport("booking-access", token)).listPatientReservations({ patientId: "pat_x" }),
  ],
  [
    "booking-access (recording a booking the provider never made)",
    (token) => createClient(BookingAccessService, transport("booking-access", token)).recordBooking({ id: "res_nobody" }),
  ],
  ["provider-access", (token) => createClient(ProviderAccessService, transport("provider-access", token)).describeProviders({})],
  [
    "availability-engine",
    (token) => createClient(AvailabilityEngineService, transport("availability-engine", token)).resolveSlot({ slotId: "x" }),
  ],
  ["reservation-engine", (token) => createClient(ReservationEngineService, transport("reservation-engine", token)).evaluateReservation({})],
  ["booking-manager", (token) => createClient(BookingManagerService, transport("booking-manager", token)).listTreatments({})],
];

describe("nothing the platform runs locally listens beyond this machine", () => {
  it("every service, simulator and DynamoDB Local binds 127.0.0.1 only", async ({ skip }) => {
    const addresses = outwardAddresses();
    if (addresses.length === 0) skip("this machine has no network interface besides loopback");
    const ports = [...Object.values(system.urls), system.dynamodbEndpoint].map((url) => Number(new URL(url).port));
    expect(ports.length).toBeGreaterThan(8);
    for (const port of ports) {
      expect(await connects("127.0.0.1", port), `127.0.0.1:${port}`).toBe(true);
      for (const address of addresses) expect(await connects(address, port), `${address}:${port}`).toBe(false);
    }
  });
});

describe("the internal gRPC services trust only the platform", () => {
  it.each(calls)("%s refuses a call without the platform credential", async (_service, call) => {
    expect(await codeOf(call())).toBe("Unauthenticated");
  });

  it.each(calls)("%s refuses a call with a wrong credential", async (_service, call) => {
    expect(await codeOf(call("not-the-platform-token-not-the-platform-token"))).toBe("Unauthenticated");
  });

  it.each(calls)("%s answers the platform", async (_service, call) => {
    expect(await codeOf(call(system.platformToken))).not.toBe("Unauthenticated");
  });
});
