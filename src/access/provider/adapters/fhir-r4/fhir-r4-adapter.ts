import type { AdapterFactory, ProviderAdapter } from "../../adapter.js";
import { readCatalog } from "./fhir-catalog.js";
import { createFhirClient } from "./fhir-client.js";
import { plainServer, readServerFeatures, type ServerFeatures } from "./server-features.js";
import { slotClaims } from "./slot-claims.js";

export { reservationIdentifierSystem } from "./fhir-mapping.js";

/**
 * FHIR R4 scheduling, on any FHIR server. Clinic code = Location id;
 * treatment code = a Schedule.serviceType code (`code` or `system|code`).
 *
 * A generic FHIR server has no scheduling rules, so slots are Slot searches
 * and a booking claims its Slot with a versioned update to busy, in one
 * transaction Bundle with the Appointment where the server takes
 * transactions, which `discover` reads from its CapabilityStatement
 * (server-features.ts, slot-claims.ts): no second booker who claims too can
 * win the same Slot, and a booked slot is no longer offered. Our reservation
 * id is an identifier on the Appointment (findBooking), cancelling sets the
 * Appointment `cancelled` and frees its Slot (versioned), and the catalog
 * takes practitioners' names from the Practitioner resources and treatments'
 * lengths from the Slots (fhir-catalog.ts). FHIR instants carry their offset,
 * so slots need no time-zone arithmetic; a clinic's zone is its Location's
 * timezone extension, else the instance's.
 */
export const createFhirR4Adapter: AdapterFactory = (instance, fetchImpl = fetch): ProviderAdapter => {
  const client = createFhirClient(instance, fetchImpl);
  let features: ServerFeatures = plainServer;
  const claims = slotClaims(client, instance.id, () => features);

  return {
    get capabilities() {
      return { supportsHold: false, bookingMode: "api" as const, asyncWrite: false, pushChanges: false, catalog: true };
    },

    async discover(signal) {
      features = readServerFeatures(await client.capabilityStatement(signal));
    },

    findOpenSlots: (query, signal) => claims.findOpenSlots(query, signal),
    bookSlot: (request, signal) => claims.bookSlot(request, signal),
    cancelBooking: (request, signal) => claims.cancelBooking(request, signal),
    findBooking: (reference, signal) => claims.findBooking(reference, signal),
    listCatalog: (signal) => readCatalog(client, instance.timeZone, signal),
  };
};
