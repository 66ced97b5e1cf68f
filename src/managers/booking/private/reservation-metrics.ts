import type { Counter } from "@opentelemetry/api";
import { platformMeter } from "../../../utilities/telemetry/meter.js";

/** The reservation use cases' own metrics: how reservations end, holds that lapse, what the reconciler did. */
export interface ReservationMetrics {
  /** Reservation requests, by outcome (held, confirmed, pending, replayed, or the refusal's reason). */
  outcomes: Counter;
  holdExpiries: Counter;
  reconcilerActions: Counter;
}

export function createReservationMetrics(): ReservationMetrics {
  const meter = platformMeter();
  return {
    outcomes: meter.createCounter("reservations", { description: "Reservation requests, by outcome" }),
    holdExpiries: meter.createCounter("reservation.hold.expiries", { description: "Holds that lapsed before they were confirmed" }),
    reconcilerActions: meter.createCounter("reconciler.actions", { description: "Pending reservations the reconciler settled, by action" }),
  };
}
