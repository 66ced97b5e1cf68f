import type { Client } from "@connectrpc/connect";
import type { BookingAccessService } from "../../../access/booking/v1/booking_access_pb.js";
import type { CatalogAccessService } from "../../../access/catalog/v1/catalog_access_pb.js";
import type { ProviderAccessService } from "../../../access/provider/v1/provider_access_pb.js";
import type { AvailabilityEngineService } from "../../../engines/availability/v1/availability_engine_pb.js";
import type { ReservationEngineService } from "../../../engines/reservation/v1/reservation_engine_pb.js";
import type { Logger } from "../../../utilities/logging/logger.js";
import type { ReservationMetrics } from "./reservation-metrics.js";

/** What the booking manager's use cases call: the layers below, through their contracts, and a few utilities. */
export interface BookingManagerDeps {
  catalogAccess: Client<typeof CatalogAccessService>;
  bookingAccess: Client<typeof BookingAccessService>;
  providerAccess: Client<typeof ProviderAccessService>;
  availabilityEngine: Client<typeof AvailabilityEngineService>;
  reservationEngine: Client<typeof ReservationEngineService>;
  /** `at`: when the patient's number was given (a ten-digit number's century depends on it). */
  patientId: (patient: { personalIdentityNumber?: string; dateOfBirth?: string; email?: string }, at: Date) => string;
  log: Pick<Logger, "info" | "warn" | "error">;
  now?: () => Date;
  newId?: () => string;
  metrics?: ReservationMetrics;
}

/** The dependencies with every default filled in: what each use case receives. */
export type UseCaseDeps = Required<BookingManagerDeps>;
