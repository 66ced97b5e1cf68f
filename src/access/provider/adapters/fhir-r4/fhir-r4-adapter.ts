import type { AdapterFactory, ProviderAdapter } from "../../adapter.js";
import { ProviderError } from "../../provider-error.js";
import { readCatalog } from "./fhir-catalog.js";
import { createFhirClient } from "./fhir-client.js";
import { schedulingOperations } from "./scheduling-operations.js";
import { plainServer, readServerFeatures, type ServerFeatures } from "./server-features.js";
import { slotClaims } from "./slot-claims.js";

export { reservationIdentifierSystem } from "./fhir-mapping.js";

/**
 * FHIR R4 scheduling, on any FHIR server. Clinic code = Location id;
 * treatment code = a Schedule.serviceType code (`code` or `system|code`).
 *
 * What it does depends on the server, which `discover` reads from its
 * CapabilityStatement (server-features.ts):
 * - on a plain server, slots are Slot searches and a booking claims its Slot
 *   with a versioned update to busy, in one transaction Bundle with the
 *   Appointment where the server takes transactions (slot-claims.ts): no
 *   second booker who claims too can win the same Slot, and a booked slot is
 *   no longer offered;
 * - where the server offers the IHE ITI Scheduling (or Argonaut) $find,
 *   $hold and $book operations, it uses them, and holds (supportsHold)
 *   (scheduling-operations.ts).
 * Either way our reservation id is an identifier on the Appointment
 * (findBooking), cancelling sets the Appointment `cancelled` and frees its
 * Slot (versioned), and the catalog takes practitioners' names from the
 * Practitioner resources and treatments' lengths from the Slots
 * (fhir-catalog.ts). FHIR instants carry their offset, so slots need no
 * time-zone arithmetic; a clinic's zone is its Location's timezone extension,
 * else the instance's.
 *
 * options: { holdSeconds?: number } how long the server keeps a $hold (the
 * protocol does not say; default: as long as asked).
 */
export const createFhirR4Adapter: AdapterFactory = (instance, fetchImpl = fetch): ProviderAdapter => {
  const client = createFhirClient(instance, fetchImpl);
  let features: ServerFeatures = plainServer;
  const serverHoldSeconds = typeof instance.options?.holdSeconds === "number" ? instance.options.holdSeconds : undefined;
  const claims = slotClaims(client, instance.id, () => features, serverHoldSeconds);
  const operations = schedulingOperations(client, instance.id, () => features.scheduling ?? "ihe", serverHoldSeconds);
  const noHolds = () => new ProviderError(instance.id, "rejected", "this FHIR server offers no scheduling operations, so no holds");

  return {
    get capabilities() {
      return {
        supportsHold: features.scheduling !== undefined,
        bookingMode: "api" as const,
        asyncWrite: false,
        pushChanges: false,
        catalog: true,
      };
    },

    async discover(signal) {
      features = readServerFeatures(await client.capabilityStatement(signal));
    },

    findOpenSlots: (query, signal) => (features.scheduling ? operations.findOpenSlots(query, signal) : claims.findOpenSlots(query, signal)),

    async holdSlot(request, signal) {
      if (!features.scheduling) throw noHolds();
      return operations.holdSlot(request, signal);
    },

    async confirmHold(request, signal) {
      if (!features.scheduling) throw noHolds();
      return operations.confirmHold(request, signal);
    },

    bookSlot: (request, signal) => (features.scheduling ? operations.bookSlot(request, signal) : claims.bookSlot(request, signal)),
    cancelBooking: (request, signal) => claims.cancelBooking(request, signal),
    findBooking: (reference, signal) => claims.findBooking(reference, signal),
    listCatalog: (signal) => readCatalog(client, instance.timeZone, signal),
  };
};
