/**
 * The adapter contract: everything that differs between booking providers
 * lives behind it. One adapter per protocol (adapters/<name>/); provider
 * instances (base URL, credentials) are configuration, not code.
 *
 * A later issue extends it with catalog listing and hold / confirm / book /
 * cancel / get booking, each behind a declared capability.
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
}

export interface ProviderAdapter {
  readonly capabilities: Capabilities;
  /** Free slots starting inside the window, as UTC instants. Throws ProviderError. */
  findOpenSlots(query: SlotQuery, signal: AbortSignal): Promise<OpenSlot[]>;
}

/** What a provider instance is, as configuration says. */
export interface ProviderInstanceConfig {
  id: string;
  adapter: string;
  baseUrl: string;
  apiKey?: string;
  timeZone: string;
}

export type AdapterFactory = (instance: ProviderInstanceConfig, fetchImpl?: typeof fetch) => ProviderAdapter;
