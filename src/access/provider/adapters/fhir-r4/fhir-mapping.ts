import type { Appointment, HumanName, Identifier, Practitioner, Reference, Resource, Schedule } from "@medplum/fhirtypes";
import type { ProviderBookingState } from "../../adapter.js";
import type { ProviderError } from "../../provider-error.js";

/** Where our reservation id is kept on the Appointment, so a lost answer can be found again. */
export const reservationIdentifierSystem = "https://booking-platform.example/reservation-id";

export const ourIdentifier = (reference: string): Identifier => ({ system: reservationIdentifierSystem, value: reference });

export const isOurs = (appointment: Appointment, reference: string) =>
  appointment.identifier?.some((i) => i.system === reservationIdentifierSystem && i.value === reference) ?? false;

/** A person's name as it is shown: the text if the server gives one, else prefix, given and family names. */
export function displayName(names: HumanName[] | undefined): string {
  const name = names?.find((n) => n.use === "official") ?? names?.[0];
  if (!name) return "";
  return name.text ?? [...(name.prefix ?? []), ...(name.given ?? []), name.family].filter(Boolean).join(" ");
}

/** Practitioners' names by reference ("Practitioner/id"), from what a search's `_include` brought along. */
export function practitionerNames(included: Resource[]): Map<string, string> {
  return new Map(
    included
      .filter((r): r is Practitioner & { id: string } => r.resourceType === "Practitioner" && typeof r.id === "string")
      .map((p) => [`Practitioner/${p.id}`, displayName(p.name)]),
  );
}

export const practitionerOf = (actors: Reference[] | undefined) => actors?.find((a) => a.reference?.startsWith("Practitioner/"));
export const locationIdOf = (schedule: Schedule) =>
  schedule.actor?.find((a) => a.reference?.startsWith("Location/"))?.reference?.slice("Location/".length);

/** Whether a Schedule (or a Slot, an Appointment) offers the treatment: `code` matches any system, `system|code` only its own. */
export function offersTreatment(serviceTypes: Schedule["serviceType"], treatmentCode: string): boolean {
  return (
    serviceTypes?.some((t) =>
      t.coding?.some((c) => (treatmentCode.includes("|") ? `${c.system}|${c.code}` === treatmentCode : c.code === treatmentCode)),
    ) ?? false
  );
}

/** Start and end of a Slot or Appointment as instants; FHIR instants carry their offset. */
export function readTimes(what: string, start: unknown, end: unknown, fail: (detail: string) => ProviderError): { start: Date; end: Date } {
  if (typeof start !== "string" || typeof end !== "string") throw fail(`${what} has no start or end`);
  const times = { start: new Date(start), end: new Date(end) };
  if (Number.isNaN(times.start.getTime()) || Number.isNaN(times.end.getTime()) || times.end <= times.start) {
    throw fail(`${what} has unreadable times`);
  }
  return times;
}

/** An Appointment's state in the platform's words: pending is held, booked (and what follows booking) is booked. */
export function toBookingState(
  appointment: Appointment,
  fail: (detail: string) => ProviderError,
  holdExpiresAt?: Date,
): ProviderBookingState {
  const status = (
    {
      pending: "held",
      booked: "booked",
      arrived: "booked",
      "checked-in": "booked",
      fulfilled: "booked",
      noshow: "booked",
      cancelled: "cancelled",
      "entered-in-error": "cancelled",
    } as const
  )[appointment.status as string];
  if (!status || !appointment.id) throw fail(`Appointment/${appointment.id} has status ${appointment.status}, not one a booking can have`);
  // Where the Appointment is now: the clinic may have moved it to another Slot and other times.
  const slotId = appointment.slot?.[0]?.reference?.match(/^Slot\/(.+)$/)?.[1];
  const start = appointment.start ? new Date(appointment.start) : undefined;
  const end = appointment.end ? new Date(appointment.end) : undefined;
  return {
    providerBookingRef: appointment.id,
    status,
    ...(status === "held" && holdExpiresAt ? { holdExpiresAt } : {}),
    ...(slotId ? { providerSlotId: slotId } : {}),
    ...(start && end && !Number.isNaN(start.getTime()) && !Number.isNaN(end.getTime()) ? { start, end } : {}),
  };
}
