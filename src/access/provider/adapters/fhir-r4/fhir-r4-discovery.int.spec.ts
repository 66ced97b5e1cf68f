import { createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../../../utilities/logging/logger.js";
import { createProviderAccess } from "../../provider-access.js";
import { ProviderAccessService, ProviderBookingStatus } from "../../v1/provider_access_pb.js";
import { createFhirR4Adapter } from "./fhir-r4-adapter.js";
import { type FhirSimulator, startFhirSimulator } from "./simulator/fhir-simulator.js";

/** Provider access over two FHIR servers, one plain and one with the IHE scheduling operations: same adapter, same config shape. */
describe("what a FHIR instance can do is discovered from its server", () => {
  let plain: FhirSimulator;
  let ihe: FhirSimulator;
  let access: ReturnType<typeof createClient<typeof ProviderAccessService>>;

  beforeAll(async () => {
    [plain, ihe] = await Promise.all([
      startFhirSimulator({ token: "t" }),
      startFhirSimulator({ token: "t", operations: "ihe", holdSeconds: 120 }),
    ]);
    const impl = createProviderAccess({
      instances: [
        { id: "fhir-plain", adapter: "fhir-r4", baseUrl: plain.url, apiKey: "t", timeZone: "Europe/Stockholm" },
        { id: "fhir-ihe", adapter: "fhir-r4", baseUrl: ihe.url, apiKey: "t", timeZone: "Europe/Stockholm", options: { holdSeconds: 120 } },
      ],
      adapters: { "fhir-r4": createFhirR4Adapter },
      log: createLogger("test", { level: "silent" }),
    });
    access = createClient(
      ProviderAccessService,
      createRouterTransport(({ service }) => service(ProviderAccessService, impl)),
    );
  });
  afterAll(() => Promise.all([plain.close(), ihe.close()]));

  it("declares holds only for the server that offers $hold", async () => {
    const { providers } = await access.describeProviders({});
    expect(Object.fromEntries(providers.map((p) => [p.id, p.capabilities?.supportsHold]))).toEqual({
      "fhir-plain": false,
      "fhir-ihe": true,
    });
  });

  it("holds and confirms through the IHE operations, and finds the booking by our reference", async () => {
    const from = new Date(Date.now() + 30 * 86_400_000);
    const { slots } = await access.findOpenSlots({
      providerInstanceId: "fhir-ihe",
      providerClinicCode: "loc-uppsala",
      providerTreatmentCode: "CHK",
      window: {
        start: { seconds: BigInt(Math.floor(from.getTime() / 1000)) },
        end: { seconds: BigInt(Math.floor(from.getTime() / 1000) + 7 * 86_400) },
      },
    });
    expect(slots[0]?.practitionerName).toBe("Nils Dahl");
    const hold = await access.holdSlot({
      providerInstanceId: "fhir-ihe",
      providerSlotId: slots[0]!.providerSlotId,
      reference: "res-ihe",
      holdSeconds: 600,
    });
    expect(hold.status).toBe(ProviderBookingStatus.HELD);
    // The server's hold length, not what was asked for.
    expect(Number(hold.holdExpiresAt!.seconds) * 1000).toBeLessThanOrEqual(Date.now() + 121_000);
    // A hold whose answer was lost is found again under our reference, lapsing when the server's hold does.
    const held = (await access.findBooking({ providerInstanceId: "fhir-ihe", reference: "res-ihe" })).booking;
    expect(held).toMatchObject({ providerBookingRef: hold.providerBookingRef, status: ProviderBookingStatus.HELD });
    expect(Number(held!.holdExpiresAt!.seconds) * 1000).toBeGreaterThan(Date.now() + 100_000);
    const booked = await access.confirmHold({
      providerInstanceId: "fhir-ihe",
      providerBookingRef: hold.providerBookingRef,
      patient: { name: "P", personalIdentityNumber: "19900101-1234", dateOfBirth: "", phone: "0", email: "p@example.se" },
      note: "",
    });
    expect(booked.status).toBe(ProviderBookingStatus.BOOKED);
    const found = await access.findBooking({ providerInstanceId: "fhir-ihe", reference: "res-ihe" });
    expect(found.booking).toMatchObject({ providerBookingRef: hold.providerBookingRef, status: ProviderBookingStatus.BOOKED });
  });
});
