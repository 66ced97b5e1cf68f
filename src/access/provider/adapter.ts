import type { ResilienceSettings } from "./private/resilience.js";

/**
 * The adapter contract: everything that differs between booking providers
 * lives behind it. One adapter per protocol (adapters/<name>/); provider
 * instances (base URL, credentials) are configuration, not code.
 *
 * Optional verbs follow the declared capabilities; the conformance kit
 * (conformance/) checks that they do.
 *
 * Some capabilities belong to the server, not the protocol: one FHIR server
 * offers the IHE scheduling operations (and so holds), another does not. An
 * adapter that must ask the server implements `discover`, and its
 * `capabilities` reflect what the last successful discovery found (before
 * that, what every server of the protocol can do). Provider access calls
 * `discover` before it first describes the instance or calls one of its
 * verbs, and again once the result is older than its `discoveryTtlMs`; a
 * failed discovery is retried on the next call. Adapters whose capabilities
 * are fixed leave `discover` out.
 */
export interface Capabilities {
  /** The provider can hold a slot for a while before the booking is confirmed. */
  supportsHold: boolean;
  /** "api": we book through the provider's API; "deep-link": the patient books on the provider's site. */
  bookingMode: "api" | "deep-link";
  /** Writes are accepted first and confirmed later. */
  asyncWrite: boolean;
  /** The provider pushes changes to us instead of being polled. */
  pushChanges: boolean;
  /** The provider can list its clinics, treatments and practitioners. */
  catalog: boolean;
}

export interface SlotQuery {
  clinicCode: string;
  treatmentCode: string;
  /** Half-open [start, end) of instants. */
  window: { start: Date; end: Date };
}

export interface OpenSlot {
  providerSlotId: string;
  start: Date;
  end: Date;
  practitionerCode: string;
  practitionerName: string;
  /** Where the patient books this slot, for providers whose booking mode is "deep-link". */
  bookingLink?: string;
  /** A phone number the patient can call to book this slot, where the provider publishes one. */
  bookingPhone?: string;
  /** Places left in the slot, for providers whose slots take more than one patient (absent: one). */
  remainingCapacity?: number;
}

/** Who a booking is for. Personal data: adapters must never log it. */
export interface BookingPatient {
  name: string;
  personalIdentityNumber: string;
  dateOfBirth: string;
  phone: string;
  email: string;
}

export interface ProviderBookingState {
  providerBookingRef: string;
  status: "held" | "booked" | "cancelled";
  holdExpiresAt?: Date;
  /**
   * Where the booking is now, as the provider says, when it says (findBooking
   * should): a booking the clinic moved has another slot and other times than
   * the ones we booked, and the reconciler records the move.
   */
  providerSlotId?: string;
  start?: Date;
  end?: Date;
}

/** A provider's own catalog, in its own codes: what onboarding maps to Vården's ids. */
export interface ProviderCatalog {
  clinics: Array<{ code: string; name: string; city: string; address: string; timeZone: string; phone?: string; website?: string }>;
  treatments: Array<{ code: string; name: string; durationMinutes: number; clinicCodes: string[] }>;
  practitioners: Array<{ code: string; name: string; clinicCode: string; treatmentCodes: string[] }>;
}

/**
 * Every method throws ProviderError; a slot that is gone or a hold that has
 * lapsed is kind "slot-unavailable". `reference` is our reservation id: the
 * adapter stores it at the provider so findBooking can recover a booking whose
 * answer was lost.
 */
export interface ProviderAdapter {
  /** What this instance can do; for an adapter with `discover`, as of its last successful discovery. */
  readonly capabilities: Capabilities;
  /** Learns the server's capabilities (e.g. from a FHIR CapabilityStatement). Throws ProviderError like every verb. */
  discover?(signal: AbortSignal): Promise<void>;
  /** Free slots starting inside the window, as UTC instants. */
  findOpenSlots(query: SlotQuery, signal: AbortSignal): Promise<OpenSlot[]>;
  /**
   * How long the provider says its last answer stays fresh, in milliseconds, where its protocol says
   * (a SMART feed's `Cache-Control: max-age`). Provider access never caches an answer longer.
   */
  freshForMs?(): number | undefined;
  /** Only where capabilities.catalog. */
  listCatalog?(signal: AbortSignal): Promise<ProviderCatalog>;
  /** Only where capabilities.supportsHold. */
  holdSlot?(
    request: { providerSlotId: string; reference: string; holdSeconds: number },
    signal: AbortSignal,
  ): Promise<ProviderBookingState>;
  /** Only where capabilities.supportsHold. */
  confirmHold?(
    request: { providerBookingRef: string; patient: BookingPatient; note: string },
    signal: AbortSignal,
  ): Promise<ProviderBookingState>;
  /** Only where capabilities.bookingMode is "api". */
  bookSlot?(
    request: { providerSlotId: string; reference: string; patient: BookingPatient; note: string },
    signal: AbortSignal,
  ): Promise<ProviderBookingState>;
  cancelBooking?(request: { providerBookingRef: string }, signal: AbortSignal): Promise<ProviderBookingState>;
  findBooking?(reference: string, signal: AbortSignal): Promise<ProviderBookingState | undefined>;
}

/** What a provider instance is, as configuration says. */
export interface ProviderInstanceConfig {
  id: string;
  adapter: string;
  baseUrl: string;
  apiKey?: string;
  timeZone: string;
  /** Overrides of the default deadline, retries, circuit breaker and bulkhead. */
  resilience?: Partial<ResilienceSettings>;
  /** Protocol-specific settings, documented by each adapter (e.g. which states a SMART feed is read for). */
  options?: Record<string, unknown>;
}

export type AdapterFactory = (instance: ProviderInstanceConfig, fetchImpl?: typeof fetch) => ProviderAdapter;
