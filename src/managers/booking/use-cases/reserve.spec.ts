import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ProviderBookingStatus } from "../../../access/provider/v1/provider_access_pb.js";
import { ReservationStatus } from "../../../contracts/v1/booking_pb.js";
import { ErrorReason, metadataOf, platformError, reasonOf } from "../../../utilities/errors/platform-error.js";
import { createHarness, FakeRules, failure, patient } from "../testing/fake-layers.js";

const slotGone = () =>
  platformError(ErrorReason.SLOT_UNAVAILABLE, "provider kb no longer has the slot: HTTP 409 for /api/v2/holds", {
    provider_instance_id: "kb",
  });

describe("reserving a slot", () => {
  it("holds it at a provider that supports holds, until the provider's expiry", async () => {
    const { reserve, provider, stored } = createHarness();
    const { reservation } = await reserve();
    expect(reservation).toMatchObject({ status: ReservationStatus.HELD, providerBookingRef: "hold-res_1", clinicId: "odenplan-clinic" });
    expect(reservation!.holdExpiresAt).toBeDefined();
    expect(provider.called("hold")).toHaveLength(1);
    expect(stored("res_1").status).toBe(ReservationStatus.HELD);
  });

  it("books it at once at a provider without holds", async () => {
    const { reserve, provider } = createHarness();
    provider.capabilities = { supportsHold: false, bookingMode: "api" };
    const { reservation } = await reserve();
    expect(reservation?.status).toBe(ReservationStatus.CONFIRMED);
    expect(provider.called("book")).toHaveLength(1);
  });

  it.each([
    ["a wrong check digit", "19900101-1234"],
    ["the all-nines number", "99999999-9999"],
    ["a date that is not one", "19900230-1233"],
  ])("refuses a personal identity number with %s, naming the field, before anything is reserved or asked", async (_case, number) => {
    const { reserve, slotId, provider, bookings, patientIdsAsked } = createHarness();
    const error = await failure(reserve(slotId(), "key-a", "hash", { ...patient, personalIdentityNumber: number }));
    expect(reasonOf(error)).toBe(ErrorReason.INVALID_ARGUMENT);
    expect(metadataOf(error)).toEqual({ field: "patient.personal_identity_number" });
    expect(ConnectError.from(error).rawMessage).not.toContain(number.slice(-4));
    expect(provider.calls).toEqual([]);
    expect(bookings.reservations.size).toBe(0);
    expect(patientIdsAsked).toEqual([]);
  });

  it("keeps and hands on the personal identity number in its twelve-digit form, the patient id derived from that", async () => {
    const { reserve, slotId, provider, stored, patientIdsAsked } = createHarness();
    provider.capabilities = { supportsHold: false, bookingMode: "api" };
    // Tolvan Tolvansson, 100 or older on the day: `+` puts him in 1912, not 2012.
    await reserve(slotId(), "key-a", "hash", { ...patient, personalIdentityNumber: "121212+1212" });
    expect(stored("res_1").patient?.personalIdentityNumber).toBe("19121212-1212");
    expect(provider.called("book")[0]?.request).toMatchObject({ patient: { personalIdentityNumber: "19121212-1212" } });
    expect(patientIdsAsked).toEqual([{ personalIdentityNumber: "19121212-1212", at: new Date("2026-12-01T09:00:00Z") }]);
  });

  it("refuses a slot id this platform did not hand out, without asking anyone", async () => {
    const { reserve, provider } = createHarness();
    expect(reasonOf(await failure(reserve("forged-slot-id")))).toBe(ErrorReason.SLOT_ID_INVALID);
    expect(provider.calls).toEqual([]);
  });

  it.each([ErrorReason.LEAD_TIME, ErrorReason.SLOT_IN_PAST])(
    "refuses what the rules forbid (%s), without asking the provider",
    async (rule) => {
      const { reserve, rules, provider } = createHarness();
      rules.reservation = FakeRules.broken(rule, "the rule, in words");
      const error = await failure(reserve());
      expect(reasonOf(error)).toBe(rule);
      expect(ConnectError.from(error).rawMessage).toBe("the rule, in words");
      expect(provider.called("hold")).toEqual([]);
    },
  );

  it("asks the rules about the slot's start at the request's instant", async () => {
    const { reserve, rules } = createHarness();
    await reserve();
    expect(rules.asked).toEqual([
      { rule: "reservation", slotStart: new Date("2026-12-08T10:00:00Z"), now: new Date("2026-12-01T09:00:00Z") },
    ]);
  });

  it("sends the patient to the provider's own site when it takes bookings there only", async () => {
    const { reserve, provider } = createHarness();
    provider.capabilities = { supportsHold: false, bookingMode: "deep-link" };
    expect(reasonOf(await failure(reserve()))).toBe(ErrorReason.DEEP_LINK_ONLY);
  });

  it("says so when the clinic's provider is not connected", async () => {
    const { reserve, provider } = createHarness();
    provider.connected = false;
    expect(reasonOf(await failure(reserve()))).toBe(ErrorReason.PROVIDER_INSTANCE_UNKNOWN);
  });

  it("gives a slot someone already reserved here to nobody else, without asking the provider", async () => {
    const { reserve, provider } = createHarness();
    await reserve();
    expect(reasonOf(await failure(reserve()))).toBe(ErrorReason.SLOT_UNAVAILABLE);
    expect(provider.called("hold")).toHaveLength(1);
  });

  it("answers a retried request (same key, same body) as the first time, asking the provider once", async () => {
    const { reserve, slotId, provider } = createHarness();
    const first = await reserve(slotId(), "key-a");
    const retry = await reserve(slotId(), "key-a");
    expect(retry.replayed).toBe(true);
    expect(retry.reservation?.id).toBe(first.reservation?.id);
    expect(provider.called("hold")).toHaveLength(1);
  });

  it("keeps the clients apart: the same Idempotency-Key from another client is another request", async () => {
    const { manager, reserve, slotId } = createHarness();
    await reserve(slotId("slot-1"), "key-a", "hash-1");
    const other = await manager.createReservation({
      clientId: "another-marketplace",
      idempotencyKey: "key-a",
      requestHash: "hash-2",
      slotId: slotId("slot-2"),
      treatmentId: "dental-checkup",
      patient: { name: "Bo", personalIdentityNumber: "19850505-1238", phone: "0707654321", email: "bo@example.se" },
    });
    expect(other.replayed).toBe(false);
    expect(other.reservation?.clientId).toBe("another-marketplace");
  });

  it("shows, confirms and cancels a reservation for the client that made it only", async () => {
    const { manager, reserve } = createHarness();
    await reserve();
    const asOther = { id: "res_1", clientId: "another-marketplace" };
    expect(reasonOf(await failure(manager.getReservation(asOther)))).toBe(ErrorReason.RESERVATION_NOT_FOUND);
    expect(reasonOf(await failure(manager.confirmReservation(asOther)))).toBe(ErrorReason.RESERVATION_NOT_FOUND);
    expect(reasonOf(await failure(manager.cancelReservation(asOther)))).toBe(ErrorReason.RESERVATION_NOT_FOUND);
    expect((await manager.listPatientReservations({ patientId: "pat_anna", clientId: "another-marketplace" })).reservations).toEqual([]);
    expect((await manager.listPatientReservations({ patientId: "pat_anna", clientId: "vaarden" })).reservations).toHaveLength(1);
  });

  it("refuses an Idempotency-Key reused for another request", async () => {
    const { reserve, slotId } = createHarness();
    await reserve(slotId(), "key-a", "hash-1");
    expect(reasonOf(await failure(reserve(slotId(), "key-a", "hash-2")))).toBe(ErrorReason.IDEMPOTENCY_KEY_REUSED);
  });

  it("tells a duplicate that arrives while the first request still runs to retry later", async () => {
    const { reserve, slotId, provider } = createHarness();
    let release!: () => void;
    const original = provider.hold;
    provider.hold = async (request) => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return original(request);
    };
    const first = reserve(slotId(), "key-a");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reasonOf(await failure(reserve(slotId(), "key-a")))).toBe(ErrorReason.REQUEST_IN_PROGRESS);
    release();
    expect((await first).reservation?.status).toBe(ReservationStatus.HELD);
  });

  describe("when the provider says no", () => {
    it("frees the slot here and says it is gone, now and to every retry, in our words", async () => {
      const { reserve, slotId, provider, stored, bookings } = createHarness();
      provider.hold = () => {
        throw slotGone();
      };
      const error = await failure(reserve(slotId(), "key-a"));
      expect(reasonOf(error)).toBe(ErrorReason.SLOT_UNAVAILABLE);
      expect(ConnectError.from(error).rawMessage).not.toContain("/api/v2");
      expect(stored("res_1").status).toBe(ReservationStatus.RELEASED);
      expect(bookings.claims.size).toBe(0);
      const retry = await failure(reserve(slotId(), "key-a"));
      expect(reasonOf(retry)).toBe(ErrorReason.SLOT_UNAVAILABLE);
      expect(provider.called("hold")).toHaveLength(1);
    });

    it("does not leave it pending when calls to the provider are paused (circuit open): it was never asked", async () => {
      const { reserve, provider, stored } = createHarness();
      provider.hold = () => {
        throw platformError(ErrorReason.PROVIDER_CIRCUIT_OPEN, "provider kb is not being called", { provider_instance_id: "kb" });
      };
      expect(reasonOf(await failure(reserve()))).toBe(ErrorReason.PROVIDER_CIRCUIT_OPEN);
      expect(stored("res_1").status).toBe(ReservationStatus.RELEASED);
    });

    it("still answers the refusal when freeing the slot here fails, and says so in the log", async () => {
      const { reserve, provider, bookings, warnings, stored } = createHarness();
      provider.hold = () => {
        throw slotGone();
      };
      bookings.failNext("recordRelease", new ConnectError("table unreachable", Code.Unavailable));
      expect(reasonOf(await failure(reserve()))).toBe(ErrorReason.SLOT_UNAVAILABLE);
      expect(stored("res_1").status).toBe(ReservationStatus.PENDING);
      expect(warnings.join()).toContain("the reconciler will");
    });
  });

  describe("when the provider's answer is unknown", () => {
    it("keeps the reservation pending and the slot taken, for the reconciler to verify", async () => {
      const { reserve, provider, bookings } = createHarness();
      provider.hold = () => {
        throw platformError(ErrorReason.PROVIDER_TIMEOUT, "provider kb timed out", { provider_instance_id: "kb" });
      };
      const { reservation } = await reserve();
      expect(reservation?.status).toBe(ReservationStatus.PENDING);
      expect(bookings.claims.size).toBe(1);
    });

    it("answers a retry with the same key as it answered first (still pending), showing the reservation as it is now", async () => {
      const { reserve, slotId, provider, bookings } = createHarness();
      const original = provider.hold;
      provider.hold = () => {
        throw platformError(ErrorReason.PROVIDER_TIMEOUT, "provider kb timed out", { provider_instance_id: "kb" });
      };
      await reserve(slotId(), "key-a");
      provider.hold = original;
      const retry = await reserve(slotId(), "key-a");
      expect(retry).toMatchObject({ replayed: true, firstAnswerPending: true, reservation: { status: ReservationStatus.PENDING } });
      bookings.meddle("res_1", { status: ReservationStatus.HELD }); // the reconciler found the provider's hold
      expect((await reserve(slotId(), "key-a")).reservation?.status).toBe(ReservationStatus.HELD);
      expect(provider.called("hold")).toHaveLength(1);
    });

    it("keeps it pending when the provider took it but recording that failed: nothing is lost", async () => {
      const { reserve, provider, bookings } = createHarness();
      bookings.failNext("recordHold", platformError(ErrorReason.WRITE_CONFLICT, "collided"));
      const { reservation } = await reserve();
      expect(reservation?.status).toBe(ReservationStatus.PENDING);
      expect(provider.called("cancel")).toEqual([]);
    });
  });

  describe("when the provider answers after the reconciler settled the reservation", () => {
    it("undoes the provider's hold, which nobody owns any more, and tells the patient to search again", async () => {
      const { reserve, provider, bookings } = createHarness();
      const original = provider.hold;
      provider.hold = async (request) => {
        // Meanwhile the reconciler found nothing at the provider and released the reservation.
        bookings.meddle(request.reference, { status: ReservationStatus.RELEASED });
        bookings.claims.clear();
        return original(request);
      };
      const error = await failure(reserve());
      expect(reasonOf(error)).toBe(ErrorReason.SLOT_UNAVAILABLE);
      expect(provider.called("cancel").map((c) => c.request)).toEqual([expect.objectContaining({ providerBookingRef: "hold-res_1" })]);
    });

    it("answers with what the reconciler recorded when it found the provider's hold first", async () => {
      const { reserve, provider, bookings } = createHarness();
      const original = provider.hold;
      provider.hold = async (request) => {
        bookings.meddle(request.reference, { status: ReservationStatus.HELD, providerBookingRef: `hold-${request.reference}` });
        return original(request);
      };
      const { reservation } = await reserve();
      expect(reservation?.status).toBe(ReservationStatus.HELD);
      expect(provider.called("cancel")).toEqual([]);
    });
  });

  it("takes the provider's word for what it did: a booking where a hold was asked is confirmed", async () => {
    const { reserve, provider } = createHarness();
    provider.hold = (r) => ({ providerBookingRef: `b-${r.reference}`, status: ProviderBookingStatus.BOOKED });
    expect((await reserve()).reservation?.status).toBe(ReservationStatus.CONFIRMED);
  });
});
