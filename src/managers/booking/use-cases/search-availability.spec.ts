import { create } from "@bufbuild/protobuf";
import { createClient, createRouterTransport, type ServiceImpl } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { BookingAccessService } from "../../../access/booking/v1/booking_access_pb.js";
import { CatalogAccessService } from "../../../access/catalog/v1/catalog_access_pb.js";
import { ProviderAccessService } from "../../../access/provider/v1/provider_access_pb.js";
import { OfferingSchema, ProviderOutcomeSchema, ProviderStatus, SlotSchema, TreatmentSchema } from "../../../contracts/v1/booking_pb.js";
import { AvailabilityEngineService, type FindAvailabilityRequest } from "../../../engines/availability/v1/availability_engine_pb.js";
import { ReservationEngineService } from "../../../engines/reservation/v1/reservation_engine_pb.js";
import { ErrorReason, reasonOf } from "../../../utilities/errors/platform-error.js";
import { createBookingManager } from "../booking-manager.js";
import { BookingManagerService } from "../v1/booking_manager_pb.js";

const checkup = create(TreatmentSchema, { id: "dental-checkup", name: "Dental check-up" });
const offerings = ["odenplan-clinic", "sodermalm-clinic"].map((clinicId) =>
  create(OfferingSchema, { clinicId, treatmentId: "dental-checkup", providerInstanceId: "kb", timeZone: "Europe/Stockholm" }),
);

const catalog: Partial<ServiceImpl<typeof CatalogAccessService>> = {
  listTreatments: () => ({ treatments: [checkup] }),
  findOfferings: (request) =>
    request.treatmentId === "dental-checkup"
      ? {
          treatment: checkup,
          offerings: offerings.filter((o) => request.clinicIds.length === 0 || request.clinicIds.includes(o.clinicId)),
        }
      : {},
};

function managerWith(engineImpl: Partial<ServiceImpl<typeof AvailabilityEngineService>>) {
  const transport = createRouterTransport(({ service }) => {
    service(CatalogAccessService, catalog);
    service(AvailabilityEngineService, engineImpl);
  });
  const manager = createBookingManager({
    catalogAccess: createClient(CatalogAccessService, transport),
    availabilityEngine: createClient(AvailabilityEngineService, transport),
    // Not used by the availability search: a transport with no services fails loudly if called.
    bookingAccess: createClient(
      BookingAccessService,
      createRouterTransport(() => {}),
    ),
    providerAccess: createClient(
      ProviderAccessService,
      createRouterTransport(() => {}),
    ),
    reservationEngine: createClient(
      ReservationEngineService,
      createRouterTransport(() => {}),
    ),
    patientId: () => "pat_test",
    log: { info: () => undefined, warn: () => undefined, error: () => undefined } as never,
  });
  return createClient(
    BookingManagerService,
    createRouterTransport(({ service }) => service(BookingManagerService, manager)),
  );
}

const okEngine = (seen: FindAvailabilityRequest[] = []) => ({
  findAvailability(request: FindAvailabilityRequest) {
    seen.push(request);
    return {
      slots: [create(SlotSchema, { slotId: "s1", clinicId: request.offerings[0]!.clinicId })],
      providers: [create(ProviderOutcomeSchema, { providerInstanceId: "kb", status: ProviderStatus.OK, slotCount: 1 })],
    };
  },
});

describe("searching availability for a patient", () => {
  it("asks the engine about exactly the clinics that offer the treatment", async () => {
    const seen: FindAvailabilityRequest[] = [];
    const manager = managerWith(okEngine(seen));
    const result = await manager.searchAvailability({
      treatmentId: "dental-checkup",
      clinicIds: ["sodermalm-clinic"],
      localFromDate: "2026-03-02",
      localToDate: "2026-03-03",
      pageSize: 5,
    });
    expect(result.slots.map((s) => s.clinicId)).toEqual(["sodermalm-clinic"]);
    expect(seen[0]?.offerings.map((o) => o.clinicId)).toEqual(["sodermalm-clinic"]);
    expect(seen[0]?.treatment?.id).toBe("dental-checkup");
    expect(seen[0]?.pageSize).toBe(5);
  });

  it("says the treatment is unknown instead of returning nothing", async () => {
    const manager = managerWith(okEngine());
    await expect(
      manager.searchAvailability({ treatmentId: "brain-surgery", localFromDate: "2026-03-02", localToDate: "2026-03-02" }),
    ).rejects.toSatisfy((e) => reasonOf(e) === ErrorReason.TREATMENT_NOT_FOUND && String(e).includes("brain-surgery"));
  });

  it("names a clinic that does not offer the treatment", async () => {
    const manager = managerWith(okEngine());
    await expect(
      manager.searchAvailability({
        treatmentId: "dental-checkup",
        clinicIds: ["odenplan-clinic", "elsewhere"],
        localFromDate: "2026-03-02",
        localToDate: "2026-03-02",
      }),
    ).rejects.toSatisfy((e) => reasonOf(e) === ErrorReason.CLINIC_NOT_OFFERING && String(e).includes("elsewhere"));
  });

  it("names the providers when none of them answered, rather than claiming no free times", async () => {
    const manager = managerWith({
      findAvailability: () => ({
        providers: [
          create(ProviderOutcomeSchema, { providerInstanceId: "kb", status: ProviderStatus.TIMEOUT, detail: "timed out after 3000 ms" }),
        ],
      }),
    });
    await expect(
      manager.searchAvailability({ treatmentId: "dental-checkup", localFromDate: "2026-03-02", localToDate: "2026-03-02" }),
    ).rejects.toSatisfy((e) => reasonOf(e) === ErrorReason.NO_PROVIDER_ANSWERED && /kb \(timeout: timed out/.test(String(e)));
  });

  it("returns the healthy providers' times with each provider's status when only some failed", async () => {
    const manager = managerWith({
      findAvailability: () => ({
        slots: [create(SlotSchema, { slotId: "s1" })],
        providers: [
          create(ProviderOutcomeSchema, { providerInstanceId: "kb", status: ProviderStatus.OK, slotCount: 1 }),
          create(ProviderOutcomeSchema, { providerInstanceId: "down", status: ProviderStatus.ERROR }),
        ],
      }),
    });
    const result = await manager.searchAvailability({
      treatmentId: "dental-checkup",
      localFromDate: "2026-03-02",
      localToDate: "2026-03-02",
    });
    expect(result.slots).toHaveLength(1);
    expect(result.providers.map((p) => p.status)).toEqual([ProviderStatus.OK, ProviderStatus.ERROR]);
  });
});
