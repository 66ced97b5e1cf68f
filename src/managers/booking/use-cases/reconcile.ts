import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { RecordProviderChangeRequest_Change, RefusalSchema } from "../../../access/booking/v1/booking_access_pb.js";
import { type ProviderBooking, ProviderBookingStatus } from "../../../access/provider/v1/provider_access_pb.js";
import type { Reservation } from "../../../contracts/v1/booking_pb.js";
import { ErrorReason, hasReason, platformError } from "../../../utilities/errors/platform-error.js";
import { toLocalIso } from "../../../utilities/time/local-time.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import { cancelAtProvider } from "../private/provider-failures.js";
import {
  type ReconcileReservationsRequest,
  type ReconcileReservationsResponse,
  ReconcileReservationsResponseSchema,
} from "../v1/booking_manager_pb.js";

/**
 * Settle what was left unsettled, and keep our records true to the
 * providers', run on a schedule (the reconciler job):
 *
 *  1. pending reservations (a provider call whose answer was lost, a process
 *     that died mid-way): ask the provider what it has under our reservation
 *     id and record that. Nothing there is released only once the provider
 *     can no longer be acting on our request (its deadline plus a margin), and
 *     the release cancels whatever is there by our reference, and is verified
 *     there again for a day, so a late hold or booking never stays;
 *  2. holds that lapsed unconfirmed: recorded as expired, then released at
 *     the provider;
 *  3. releases to verify: anything the provider made late under our
 *     reference is cancelled there (an orphan booking carries a patient's data);
 *  4. drift: confirmed reservations of the coming days, checked at their
 *     provider; one the clinic cancelled or moved on its own is recorded so.
 *
 * Steps 3 and 4 make at most `checks_per_provider` provider calls per
 * provider instance and run; the rest wait for the next run.
 */
export async function reconcile(deps: UseCaseDeps, request: ReconcileReservationsRequest): Promise<ReconcileReservationsResponse> {
  if (request.minAgeSeconds < 0 || request.releaseMarginSeconds < 0 || request.driftHorizonDays < 0 || request.checksPerProvider < 0) {
    throw platformError(ErrorReason.INVALID_ARGUMENT, "reconciliation settings must not be negative");
  }
  const at = deps.now();
  const marginMs = (request.releaseMarginSeconds || 120) * 1000;
  const tally = create(ReconcileReservationsResponseSchema, {});
  const count = (action: string) => deps.metrics.reconcilerActions.add(1, { action });
  const { providers } = await deps.providerAccess.describeProviders({});
  const deadlineOf = new Map(providers.map((p) => [p.id, p.deadlineMs]));
  const budget = providerBudget(request.checksPerProvider || 20);
  // When a release is first verified again at its provider, and how often after that, for the day booking access keeps it listed.
  const releaseFirstCheckMs = request.releaseRecheckSeconds ? request.releaseRecheckSeconds * 1000 : 60_000;
  const releaseRecheckMs = request.releaseRecheckSeconds ? request.releaseRecheckSeconds * 1000 : 10 * 60_000;

  // 1. Pending reservations: the provider has the answer, or, after its grace period, has nothing.
  const cutOff = new Date(at.getTime() - request.minAgeSeconds * 1000);
  const { reservations: pending } = await deps.bookingAccess.listPendingReservations({ beganBefore: timestampFromDate(cutOff) });
  tally.examined = pending.length;
  for (const reservation of pending) {
    try {
      const graceMs = (deadlineOf.get(reservation.providerInstanceId) ?? 0) + marginMs;
      const settled = await settleFromProvider(deps, reservation, at, graceMs, releaseFirstCheckMs);
      if (settled === "released") tally.released++;
      else if (settled === "waiting") tally.leftPending++;
      else tally.confirmed++;
      count(settled === "waiting" ? "left-pending" : settled);
    } catch (error) {
      tally.leftPending++;
      count("left-pending");
      if (!hasReason(error, ErrorReason.RESERVATION_CHANGED)) {
        deps.log.warn({ err: error, reservationId: reservation.id }, `reservation ${reservation.id} left pending until the next run`);
      }
    }
  }

  // 2. Lapsed holds: written down first, so that a confirm racing with us cannot record a booking we then cancel.
  const { reservations: lapsed } = await deps.bookingAccess.listLapsedHolds({ expiredBefore: timestampFromDate(at) });
  for (const reservation of lapsed) {
    try {
      await deps.bookingAccess.recordExpiry({
        id: reservation.id,
        statusReason: "the hold lapsed before it was confirmed",
        now: timestampFromDate(at),
      });
    } catch (error) {
      // Confirmed or cancelled meanwhile: not lapsed after all.
      if (!hasReason(error, ErrorReason.RESERVATION_CHANGED)) {
        deps.log.warn({ err: error, reservationId: reservation.id }, "could not record a lapsed hold");
      }
      continue;
    }
    tally.expired++;
    deps.metrics.holdExpiries.add(1);
    count("expired");
    await cancelAtProvider(deps, reservation.providerInstanceId, reservation.providerBookingRef, `the hold on ${reservation.id} lapsed`);
  }

  // 3. Releases made without the provider's answer: anything it made late under our reference goes.
  const { reservations: released } = await deps.bookingAccess.listReleasesToVerify({ now: timestampFromDate(at), limit: 500 });
  for (const reservation of released) {
    if (!budget.take(reservation.providerInstanceId)) continue;
    try {
      const { cancelled } = await deps.providerAccess.releaseByReference({
        providerInstanceId: reservation.providerInstanceId,
        reference: reservation.id,
      });
      tally.releasesVerified++;
      if (cancelled.length > 0) {
        tally.orphansCancelled += cancelled.length;
        count("orphan-cancelled");
        deps.log.warn(
          { reservationId: reservation.id, providerInstanceId: reservation.providerInstanceId, cancelled: cancelled.length },
          `the provider made a hold or booking for released reservation ${reservation.id} late; cancelled it there`,
        );
      }
      await deps.bookingAccess.recordReleaseVerified({
        id: reservation.id,
        nextCheckAt: timestampFromDate(new Date(at.getTime() + releaseRecheckMs)),
        now: timestampFromDate(at),
      });
    } catch (error) {
      deps.log.warn({ err: error, reservationId: reservation.id }, `could not verify the release of ${reservation.id}; next run`);
    }
  }

  // 4. Drift: what the clinics did to confirmed bookings on their own.
  const horizon = new Date(at.getTime() + (request.driftHorizonDays || 7) * 86_400_000);
  const { reservations: upcoming } = await deps.bookingAccess.listUpcomingBookings({
    from: timestampFromDate(at),
    until: timestampFromDate(horizon),
    limit: 1000,
  });
  for (const reservation of upcoming) {
    if (!budget.take(reservation.providerInstanceId)) continue;
    try {
      const drift = await checkAtProvider(deps, reservation, at);
      tally.bookingsVerified++;
      if (drift === "cancelled") tally.cancelledAtProvider++;
      if (drift === "moved") tally.movedAtProvider++;
      if (drift !== "unchanged") count(`${drift}-at-provider`);
    } catch (error) {
      if (!hasReason(error, ErrorReason.RESERVATION_CHANGED)) {
        deps.log.warn({ err: error, reservationId: reservation.id }, `could not check booking ${reservation.id} at its provider; next run`);
      }
    }
  }
  return tally;
}

/** What the provider has under the reservation's id, recorded, or (past its grace period) nothing, released. */
async function settleFromProvider(
  deps: UseCaseDeps,
  reservation: Reservation,
  at: Date,
  graceMs: number,
  firstCheckMs: number,
): Promise<"confirmed" | "released" | "waiting"> {
  const { booking } = await deps.providerAccess.findBooking({
    providerInstanceId: reservation.providerInstanceId,
    reference: reservation.id,
  });
  const now = timestampFromDate(at);
  if (booking?.status === ProviderBookingStatus.HELD) {
    await deps.bookingAccess.recordHold({
      id: reservation.id,
      providerBookingRef: booking.providerBookingRef,
      holdExpiresAt: booking.holdExpiresAt,
      statusReason: "verified with the provider",
      now,
    });
    return "confirmed";
  }
  if (booking?.status === ProviderBookingStatus.BOOKED) {
    await deps.bookingAccess.recordBooking({
      id: reservation.id,
      providerBookingRef: booking.providerBookingRef,
      statusReason: "verified with the provider",
      now,
    });
    return "confirmed";
  }
  // Nothing there yet. A provider that got our request may still be working on it: wait out its grace period.
  const age = at.getTime() - (reservation.createdAt ? timestampDate(reservation.createdAt).getTime() : 0);
  if (age < graceMs) return "waiting";
  await deps.bookingAccess.recordRelease({
    id: reservation.id,
    refusal: create(RefusalSchema, {
      reason: ErrorReason.SLOT_UNAVAILABLE,
      message: `the provider did not take reservation ${reservation.id}; search again`,
    }),
    // Verified at the provider again, for a day: a late hold or booking is cancelled.
    verifyAt: timestampFromDate(new Date(at.getTime() + firstCheckMs)),
    now,
  });
  // And cancelled by reference now, in case it arrived between our question and the release.
  await deps.providerAccess
    .releaseByReference({ providerInstanceId: reservation.providerInstanceId, reference: reservation.id })
    .catch((error: unknown) =>
      deps.log.warn({ err: error, reservationId: reservation.id }, `could not cancel by reference at release; the next runs will`),
    );
  return "released";
}

/** A confirmed booking as its provider has it now: unchanged, cancelled there, or moved there. */
async function checkAtProvider(deps: UseCaseDeps, reservation: Reservation, at: Date): Promise<"unchanged" | "cancelled" | "moved"> {
  const { booking } = await deps.providerAccess.findBooking({
    providerInstanceId: reservation.providerInstanceId,
    reference: reservation.id,
  });
  const now = timestampFromDate(at);
  if (!booking || booking.status === ProviderBookingStatus.CANCELLED) {
    await deps.bookingAccess.recordProviderChange({
      id: reservation.id,
      change: RecordProviderChangeRequest_Change.CANCELLED,
      statusReason: "cancelled at the clinic (the provider no longer has the booking)",
      now,
    });
    return "cancelled";
  }
  if (moved(reservation, booking)) {
    const start = timestampDate(booking.start!);
    await deps.bookingAccess.recordProviderChange({
      id: reservation.id,
      change: RecordProviderChangeRequest_Change.MOVED,
      statusReason: `moved by the clinic to ${reservation.timeZone ? toLocalIso(start, reservation.timeZone) : start.toISOString()}`,
      providerSlotId: booking.providerSlotId,
      start: booking.start,
      end: booking.end,
      now,
    });
    return "moved";
  }
  await deps.bookingAccess.recordBookingVerified({ id: reservation.id, now });
  return "unchanged";
}

/** The provider says where the booking is, and it is not where we booked it. */
function moved(reservation: Reservation, booking: ProviderBooking): boolean {
  if (!booking.providerSlotId || !booking.start || !booking.end) return false;
  const sameSlot = booking.providerSlotId === reservation.providerSlotId;
  const sameStart = reservation.start && timestampDate(booking.start).getTime() === timestampDate(reservation.start).getTime();
  return !sameSlot || !sameStart;
}

/** At most `limit` calls per provider instance in one run. */
function providerBudget(limit: number) {
  const used = new Map<string, number>();
  return {
    take(providerInstanceId: string): boolean {
      const n = used.get(providerInstanceId) ?? 0;
      if (n >= limit) return false;
      used.set(providerInstanceId, n + 1);
      return true;
    },
  };
}
