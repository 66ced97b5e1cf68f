import type { MessageInitShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { type Timestamp, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type ConnectError, createClient, createRouterTransport, type ServiceImpl } from "@connectrpc/connect";
import {
  BeginOutcome,
  BookingAccessService,
  RecordProviderChangeRequest_Change,
  type Refusal,
} from "../../../access/booking/v1/booking_access_pb.js";
import { CatalogAccessService } from "../../../access/catalog/v1/catalog_access_pb.js";
import {
  type CapabilitiesSchema,
  ProviderAccessService,
  ProviderBookingSchema,
  ProviderBookingStatus,
} from "../../../access/provider/v1/provider_access_pb.js";
import {
  OfferingSchema,
  type Reservation,
  ReservationSchema,
  ReservationStatus,
  TreatmentSchema,
} from "../../../contracts/v1/booking_pb.js";
import { AvailabilityEngineService } from "../../../engines/availability/v1/availability_engine_pb.js";
import {
  ReservationEngineService,
  type RuleViolation,
  RuleViolationSchema,
} from "../../../engines/reservation/v1/reservation_engine_pb.js";
import { ErrorReason, platformError } from "../../../utilities/errors/platform-error.js";
import { createBookingManager } from "../booking-manager.js";
import { BookingManagerService } from "../v1/booking_manager_pb.js";

/*
 * The layers below the booking manager, as fakes, for the use cases' unit
 * tests: booking access keeps reservations, slot claims and idempotency keys
 * in memory with the same rules as the DynamoDB one (its own tests pin those
 * rules against DynamoDB Local); the provider is scripted per test; the
 * catalog has one treatment at one clinic; the engines answer as the test
 * says (their own tests pin their rules). Every call still crosses an
 * in-memory gRPC transport, so errors and their reasons travel exactly as
 * between processes.
 */

export const treatment = create(TreatmentSchema, {
  id: "dental-checkup",
  name: "Dental check-up",
  durationMinutes: 30,
  minLeadMinutes: 60,
  cancellationWindowHours: 24,
});
export const offering = create(OfferingSchema, {
  clinicId: "odenplan-clinic",
  treatmentId: "dental-checkup",
  timeZone: "Europe/Stockholm",
  providerInstanceId: "kb",
  providerClinicCode: "ODEN",
  providerTreatmentCode: "CHK",
});
export const patient = { name: "Anna Andersson", personalIdentityNumber: "19900101-1239", phone: "0701234567", email: "anna@example.se" };

type BookingInit = MessageInitShape<typeof ProviderBookingSchema>;
type Step<Request> = (request: Request) => BookingInit | Promise<BookingInit>;

/** A provider whose every verb the test scripts; it remembers what it was asked. */
export class FakeProvider {
  capabilities: MessageInitShape<typeof CapabilitiesSchema> = { supportsHold: true, bookingMode: "api", catalog: true };
  connected = true;
  deadlineMs = 3000;
  calls: Array<{ verb: string; request: unknown }> = [];
  hold: Step<{ reference: string; providerSlotId: string; holdSeconds: number }> = (r) => ({
    providerBookingRef: `hold-${r.reference}`,
    status: ProviderBookingStatus.HELD,
    holdExpiresAt: timestampFromDate(new Date(this.clock().getTime() + r.holdSeconds * 1000)),
  });
  confirm: Step<{ providerBookingRef: string }> = (r) => ({
    providerBookingRef: r.providerBookingRef,
    status: ProviderBookingStatus.BOOKED,
  });
  book: Step<{ reference: string }> = (r) => ({ providerBookingRef: `booking-${r.reference}`, status: ProviderBookingStatus.BOOKED });
  cancel: Step<{ providerBookingRef: string }> = (r) => ({
    providerBookingRef: r.providerBookingRef,
    status: ProviderBookingStatus.CANCELLED,
  });
  find: (reference: string) => BookingInit | undefined = () => undefined;

  constructor(private readonly clock: () => Date) {}

  called(verb: string) {
    return this.calls.filter((c) => c.verb === verb);
  }

  service(): Partial<ServiceImpl<typeof ProviderAccessService>> {
    const step = async <R>(verb: string, request: R, run: Step<R>) => {
      this.calls.push({ verb, request });
      return create(ProviderBookingSchema, await run(request));
    };
    return {
      describeProviders: () => ({
        providers: this.connected
          ? [{ id: "kb", adapter: "fake", capabilities: this.capabilities, circuitState: "closed", deadlineMs: this.deadlineMs }]
          : [],
      }),
      holdSlot: (request) => step("hold", request, this.hold),
      confirmHold: (request) => step("confirm", request, this.confirm),
      bookSlot: (request) => step("book", request, this.book),
      cancelBooking: (request) => step("cancel", request, this.cancel),
      findBooking: (request) => {
        this.calls.push({ verb: "find", request });
        const found = this.find(request.reference);
        return { booking: found ? create(ProviderBookingSchema, found) : undefined };
      },
      releaseByReference: (request) => {
        this.calls.push({ verb: "releaseByReference", request });
        const found = this.find(request.reference);
        if (found) this.find = () => undefined;
        return {
          cancelled: found ? [create(ProviderBookingSchema, { ...found, status: ProviderBookingStatus.CANCELLED })] : [],
        };
      },
    };
  }
}

interface Key {
  requestHash: string;
  reservationId: string;
  complete: boolean;
  firstAnswerPending?: boolean;
  refusal?: Refusal;
}

/** Booking access in memory: the same verbs and rules as the DynamoDB one, and a way to fail the next call to a verb. */
export class FakeBookingAccess {
  reservations = new Map<string, Reservation>();
  claims = new Map<string, { reservationId: string; expiresAt?: number }>();
  keys = new Map<string, Key>();
  /** Releases to verify at the provider, by reservation id: when next. */
  releaseChecks = new Map<string, number>();
  /** When each confirmed booking was last verified at its provider. */
  verified = new Map<string, number>();
  changes: Array<{ clientId: string; reservationId: string; status: ReservationStatus; statusReason: string; at: number }> = [];
  private failures = new Map<string, ConnectError>();

  constructor(private readonly clock: () => Date) {}

  /** The next call to `verb` fails with `error`, before changing anything. */
  failNext(verb: keyof ServiceImpl<typeof BookingAccessService>, error: ConnectError) {
    this.failures.set(verb, error);
  }

  /** Changes a stored reservation behind the use case's back, as another process would. */
  meddle(id: string, change: Partial<Reservation>) {
    this.reservations.set(id, create(ReservationSchema, { ...this.reservations.get(id)!, ...change }));
  }

  service(): ServiceImpl<typeof BookingAccessService> {
    const at = (t: Timestamp | undefined) => (t ? timestampDate(t) : this.clock()).getTime();
    const claimOf = (r: Reservation) => `${r.providerInstanceId}#${r.providerSlotId}`;
    const failIfAsked = (verb: string) => {
      const failure = this.failures.get(verb);
      this.failures.delete(verb);
      if (failure) throw failure;
    };
    const move = (
      verb: string,
      id: string,
      from: ReservationStatus[],
      to: ReservationStatus,
      claim: "until-hold-expiry" | "for-good" | "free" | "unchanged" | "moved",
      change: Partial<Reservation> & { refusal?: Refusal },
      now: Timestamp | undefined,
    ) => {
      failIfAsked(verb);
      const current = this.reservations.get(id);
      if (!current) throw platformError(ErrorReason.RESERVATION_NOT_FOUND, `reservation ${id} not found`);
      if (!from.includes(current.status)) {
        const status = ReservationStatus[current.status]!.toLowerCase();
        throw platformError(ErrorReason.RESERVATION_CHANGED, `reservation ${id} is ${status}`, { current_status: status });
      }
      const owned = this.claims.get(claimOf(current))?.reservationId === id;
      if (claim === "free") {
        if (owned) this.claims.delete(claimOf(current));
      } else if (claim === "unchanged") {
        // still pending: the claim stays
      } else if (claim === "moved") {
        if (owned) this.claims.delete(claimOf(current));
        this.claims.set(claimOf({ ...current, providerSlotId: change.providerSlotId! } as Reservation), { reservationId: id });
      } else if (!owned) {
        throw platformError(ErrorReason.SLOT_CLAIM_LOST, `reservation ${id} no longer has its slot`);
      } else {
        this.claims.set(claimOf(current), {
          reservationId: id,
          expiresAt: claim === "until-hold-expiry" && change.holdExpiresAt ? timestampDate(change.holdExpiresAt).getTime() : undefined,
        });
      }
      const { refusal, ...fields } = change;
      const next = create(ReservationSchema, {
        ...current,
        ...fields,
        status: to,
        holdExpiresAt: to === ReservationStatus.HELD ? change.holdExpiresAt : undefined,
        providerBookingRef: fields.providerBookingRef || current.providerBookingRef,
        updatedAt: timestampFromDate(new Date(at(now))),
      });
      this.reservations.set(id, next);
      if (next.status !== current.status || change.start) {
        this.changes.push({
          clientId: current.clientId,
          reservationId: id,
          status: next.status,
          statusReason: next.statusReason,
          at: at(now),
        });
      }
      const key = this.keys.get(`${current.clientId}#${current.idempotencyKey}`);
      if (current.status === ReservationStatus.PENDING && key?.reservationId === id && !key.complete) {
        key.complete = true;
        key.firstAnswerPending = to === ReservationStatus.PENDING;
        if (refusal) key.refusal = refusal;
      }
      return { reservation: next };
    };
    const listed = (status: ReservationStatus, before: number, instant: (r: Reservation) => Timestamp | undefined) => [
      ...[...this.reservations.values()].filter((r) => r.status === status && at(instant(r)) < before),
    ];
    return {
      beginReservation: (request) => {
        failIfAsked("beginReservation");
        const now = at(request.now);
        const reservation = create(ReservationSchema, {
          ...request.reservation!,
          status: ReservationStatus.PENDING,
          idempotencyKey: request.idempotencyKey,
          createdAt: timestampFromDate(new Date(now)),
        });
        const scopedKey = `${reservation.clientId}#${request.idempotencyKey}`;
        const key = this.keys.get(scopedKey);
        if (key) {
          if (key.requestHash !== request.requestHash) return { outcome: BeginOutcome.KEY_REUSED };
          if (!key.complete) return { outcome: BeginOutcome.IN_PROGRESS, reservation: this.reservations.get(key.reservationId) };
          if (key.refusal) return { outcome: BeginOutcome.REPLAY, refusal: key.refusal };
          return {
            outcome: BeginOutcome.REPLAY,
            reservation: create(ReservationSchema, { ...this.reservations.get(key.reservationId)!, patient: undefined }),
            firstAnswerPending: key.firstAnswerPending,
          };
        }
        const claim = this.claims.get(claimOf(reservation));
        if (claim && (claim.expiresAt === undefined || claim.expiresAt >= now)) {
          throw platformError(ErrorReason.SLOT_UNAVAILABLE, "the slot is already reserved: search again");
        }
        this.claims.set(claimOf(reservation), { reservationId: reservation.id });
        this.keys.set(scopedKey, { requestHash: request.requestHash, reservationId: reservation.id, complete: false });
        this.reservations.set(reservation.id, reservation);
        return { outcome: BeginOutcome.STARTED, reservation };
      },
      recordHold: (r) =>
        move(
          "recordHold",
          r.id,
          [ReservationStatus.PENDING],
          ReservationStatus.HELD,
          "until-hold-expiry",
          {
            providerBookingRef: r.providerBookingRef,
            holdExpiresAt: r.holdExpiresAt,
            statusReason: r.statusReason,
          },
          r.now,
        ),
      recordBooking: (r) =>
        move(
          "recordBooking",
          r.id,
          [ReservationStatus.PENDING, ReservationStatus.HELD],
          ReservationStatus.CONFIRMED,
          "for-good",
          {
            providerBookingRef: r.providerBookingRef,
            statusReason: r.statusReason,
          },
          r.now,
        ),
      recordAwaitingProvider: (r) =>
        move(
          "recordAwaitingProvider",
          r.id,
          [ReservationStatus.PENDING],
          ReservationStatus.PENDING,
          "unchanged",
          { statusReason: r.statusReason },
          r.now,
        ),
      recordCancellation: (r) =>
        move(
          "recordCancellation",
          r.id,
          [ReservationStatus.HELD, ReservationStatus.CONFIRMED],
          ReservationStatus.CANCELLED,
          "free",
          {
            statusReason: r.statusReason,
          },
          r.now,
        ),
      recordExpiry: (r) =>
        move("recordExpiry", r.id, [ReservationStatus.HELD], ReservationStatus.EXPIRED, "free", { statusReason: r.statusReason }, r.now),
      getReservation: (r) => {
        failIfAsked("getReservation");
        const reservation = this.reservations.get(r.id);
        if (!reservation || (r.clientId && reservation.clientId !== r.clientId)) {
          throw platformError(ErrorReason.RESERVATION_NOT_FOUND, `reservation ${r.id} not found`);
        }
        return { reservation };
      },
      listPatientReservations: (r) => ({
        reservations: [...this.reservations.values()].filter(
          (x) => x.patientId === r.patientId && (!r.clientId || x.clientId === r.clientId),
        ),
      }),
      listPendingReservations: (r) => ({ reservations: listed(ReservationStatus.PENDING, at(r.beganBefore), (x) => x.createdAt) }),
      listLapsedHolds: (r) => ({ reservations: listed(ReservationStatus.HELD, at(r.expiredBefore), (x) => x.holdExpiresAt) }),
      recordRelease: (r) => {
        const result = move(
          "recordRelease",
          r.id,
          [ReservationStatus.PENDING],
          ReservationStatus.RELEASED,
          "free",
          { statusReason: r.refusal?.message, refusal: r.refusal },
          r.now,
        );
        if (r.verifyAt) this.releaseChecks.set(r.id, at(r.verifyAt));
        return result;
      },
      recordProviderChange: (r) =>
        r.change === RecordProviderChangeRequest_Change.MOVED
          ? move(
              "recordProviderChange",
              r.id,
              [ReservationStatus.CONFIRMED],
              ReservationStatus.CONFIRMED,
              "moved",
              { statusReason: r.statusReason, providerSlotId: r.providerSlotId, start: r.start, end: r.end },
              r.now,
            )
          : move(
              "recordProviderChange",
              r.id,
              [ReservationStatus.CONFIRMED],
              ReservationStatus.CANCELLED,
              "free",
              { statusReason: r.statusReason },
              r.now,
            ),
      listReleasesToVerify: (r) => ({
        reservations: [...this.releaseChecks].filter(([, next]) => next <= at(r.now)).map(([id]) => this.reservations.get(id)!),
      }),
      recordReleaseVerified: (r) => {
        if (r.nextCheckAt) this.releaseChecks.set(r.id, at(r.nextCheckAt));
        else this.releaseChecks.delete(r.id);
        return {};
      },
      listUpcomingBookings: (r) => ({
        reservations: [...this.reservations.values()]
          .filter((x) => x.status === ReservationStatus.CONFIRMED && at(x.start) >= at(r.from) && at(x.start) < at(r.until))
          .sort((a, b) => (this.verified.get(a.id) ?? 0) - (this.verified.get(b.id) ?? 0)),
      }),
      recordBookingVerified: (r) => {
        this.verified.set(r.id, at(r.now));
        return {};
      },
      listChanges: (r) => ({
        changes: this.changes
          .filter((c) => c.clientId === r.clientId)
          .map((c, i) => ({ cursor: String(i + 1), reservationId: c.reservationId, status: c.status, statusReason: c.statusReason }))
          .filter((c) => !r.after || Number(c.cursor) > Number(r.after)),
        nextCursor: String(this.changes.filter((c) => c.clientId === r.clientId).length),
      }),
    };
  }
}

/** The reservation engine's verdicts, as the test scripts them; by default everything is allowed, holds last 10 minutes. */
export class FakeRules {
  reservation: RuleViolation[] = [];
  cancellation: RuleViolation[] = [];
  asked: Array<{ rule: "reservation" | "cancellation"; slotStart?: Date; now?: Date }> = [];

  /** The engine will find this rule broken. */
  static broken(reason: ErrorReason, message = ErrorReason[reason]!) {
    return [create(RuleViolationSchema, { reason, message })];
  }

  service(): Partial<ServiceImpl<typeof ReservationEngineService>> {
    const ask = (rule: "reservation" | "cancellation", r: { slotStart?: Timestamp; now?: Timestamp }) =>
      this.asked.push({ rule, slotStart: r.slotStart && timestampDate(r.slotStart), now: r.now && timestampDate(r.now) });
    return {
      evaluateReservation: (r) => {
        ask("reservation", r);
        return { allowed: this.reservation.length === 0, violations: this.reservation, holdSeconds: 600 };
      },
      evaluateCancellation: (r) => {
        ask("cancellation", r);
        return { allowed: this.cancellation.length === 0, violations: this.cancellation };
      },
    };
  }
}

/** The booking manager over fakes of everything below it, with a clock the test moves. */
export function createHarness() {
  let now = new Date("2026-12-01T09:00:00Z");
  const clock = () => now;
  const provider = new FakeProvider(clock);
  const bookings = new FakeBookingAccess(clock);
  const warnings: string[] = [];
  const rules = new FakeRules();
  // Slot ids the "availability engine" handed out, as a search would have.
  const handedOut = new Map<string, { providerSlotId: string; start: Date }>();
  const catalog: Partial<ServiceImpl<typeof CatalogAccessService>> = {
    listTreatments: () => ({ treatments: [treatment] }),
    findOfferings: (request) =>
      request.treatmentId === treatment.id
        ? { treatment, offerings: [offering].filter((o) => request.clinicIds.length === 0 || request.clinicIds.includes(o.clinicId)) }
        : {},
  };
  const transport = createRouterTransport(({ service }) => {
    service(CatalogAccessService, catalog);
    service(BookingAccessService, bookings.service());
    service(ProviderAccessService, provider.service());
    service(ReservationEngineService, rules.service());
    service(AvailabilityEngineService, {
      resolveSlot: (request) => {
        const slot = handedOut.get(request.slotId);
        if (!slot) throw platformError(ErrorReason.SLOT_ID_INVALID, "slot_id is not one this platform handed out");
        return {
          providerInstanceId: "kb",
          providerSlotId: slot.providerSlotId,
          clinicId: offering.clinicId,
          treatmentId: treatment.id,
          start: timestampFromDate(slot.start),
          end: timestampFromDate(new Date(slot.start.getTime() + 30 * 60_000)),
        };
      },
    });
  });
  let ids = 0;
  const patientIdsAsked: Array<{ personalIdentityNumber?: string; at: Date }> = [];
  const impl = createBookingManager({
    catalogAccess: createClient(CatalogAccessService, transport),
    bookingAccess: createClient(BookingAccessService, transport),
    providerAccess: createClient(ProviderAccessService, transport),
    availabilityEngine: createClient(AvailabilityEngineService, transport),
    reservationEngine: createClient(ReservationEngineService, transport),
    patientId: (who, at) => {
      patientIdsAsked.push({ personalIdentityNumber: who.personalIdentityNumber, at });
      return "pat_anna";
    },
    log: {
      info: () => undefined,
      warn: (...args: unknown[]) => void warnings.push(String(args.at(-1))),
      error: (...args: unknown[]) => void warnings.push(String(args.at(-1))),
    } as never,
    now: clock,
    newId: () => `res_${++ids}`,
  });
  const manager = createClient(
    BookingManagerService,
    createRouterTransport(({ service }) => service(BookingManagerService, impl)),
  );

  /** A slot id as a search would have handed it out, `daysAhead` days from now at 10:00 UTC. */
  const slotId = (providerSlotId = "slot-1", daysAhead = 7) => {
    const start = new Date(now.getTime() + daysAhead * 86_400_000);
    start.setUTCHours(10, 0, 0, 0);
    const id = `sid-${providerSlotId}-${start.toISOString()}`;
    handedOut.set(id, { providerSlotId, start });
    return id;
  };
  let keys = 0;
  const reserve = (slot = slotId(), idempotencyKey = `key-${++keys}`, requestHash = "hash", who: typeof patient = patient) =>
    manager.createReservation({ clientId: "vaarden", idempotencyKey, requestHash, slotId: slot, treatmentId: treatment.id, patient: who });

  return {
    manager,
    provider,
    bookings,
    rules,
    warnings,
    slotId,
    reserve,
    /** What the patient id was derived from, each time one was. */
    patientIdsAsked,
    /** Moves the clock on. */
    later(ms: number) {
      now = new Date(now.getTime() + ms);
    },
    stored: (id: string) => bookings.reservations.get(id)!,
  };
}

/** What a promise rejected with (the test fails if it did not). */
export async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a failure, got an answer");
    },
    (error: unknown) => error,
  );
}
