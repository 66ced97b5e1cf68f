import type { Location, Practitioner, Schedule } from "@medplum/fhirtypes";

/**
 * What the FHIR simulator serves: a small clinic network's Locations,
 * Practitioners and Schedules, as a clinic's EHR would publish them. The ids
 * and codes are the provider's own; config/demo-catalog.json maps
 * `loc-uppsala` and `CHK` to Vården's ids.
 *
 * As unhelpful as real data: Schedules reference their Location and
 * Practitioner without a display name, Practitioners have structured names
 * without a `text`, and slot lengths are nowhere but on the Slots.
 */
export const serviceTypeSystem = "https://fhir.example.se/CodeSystem/service-type";
export const timeZoneExtension = "http://hl7.org/fhir/StructureDefinition/timezone";

export interface SimLocation {
  id: string;
  name: string;
  city: string;
  line: string;
  postalCode: string;
  phone: string;
  timeZone: string;
  /** ISO weekday (1 = Monday … 7 = Sunday) → local opening hours. */
  hours: Partial<Record<number, readonly [string, string]>>;
}

const weekdays = {
  1: ["08:00", "16:00"],
  2: ["08:00", "16:00"],
  3: ["08:00", "16:00"],
  4: ["08:00", "16:00"],
  5: ["08:00", "15:00"],
} as const;

export const locations: SimLocation[] = [
  // Open every day, so both DST Sundays have slots.
  {
    id: "loc-sodermalm",
    name: "Vårdcentral Södermalm",
    city: "Stockholm",
    line: "Hornsgatan 1",
    postalCode: "118 20",
    phone: "+46 8 123 45 00",
    timeZone: "Europe/Stockholm",
    hours: { ...weekdays, 6: ["09:00", "15:00"], 7: ["09:00", "15:00"] },
  },
  {
    id: "loc-uppsala",
    name: "Vårdcentral Uppsala",
    city: "Uppsala",
    line: "Dragarbrunnsgatan 2",
    postalCode: "753 20",
    phone: "+46 18 123 45 00",
    timeZone: "Europe/Stockholm",
    hours: { ...weekdays },
  },
];

export const serviceTypes = [
  { code: "CHK", display: "Dental check-up", minutes: 30 },
  { code: "HYG", display: "Dental hygienist", minutes: 45 },
];

export const practitioners = [
  { id: "prac-eva", given: ["Eva"], family: "Ek", prefix: ["Dr."], locationId: "loc-sodermalm", serviceCodes: ["CHK", "HYG"] },
  { id: "prac-nils", given: ["Nils"], family: "Dahl", prefix: [], locationId: "loc-uppsala", serviceCodes: ["CHK"] },
];

export const scheduleId = (practitionerId: string, code: string) => `sch-${practitionerId}-${code}`;

export function locationResources(): Array<Location & { id: string }> {
  return locations.map((l) => ({
    resourceType: "Location",
    id: l.id,
    status: "active",
    name: l.name,
    address: { line: [l.line], postalCode: l.postalCode, city: l.city, country: "SE" },
    telecom: [{ system: "phone", value: l.phone }],
    extension: [{ url: timeZoneExtension, valueCode: l.timeZone }],
  }));
}

export function practitionerResources(): Array<Practitioner & { id: string }> {
  return practitioners.map((p) => ({
    resourceType: "Practitioner",
    id: p.id,
    active: true,
    name: [{ use: "official", family: p.family, given: p.given, ...(p.prefix.length ? { prefix: p.prefix } : {}) }],
  }));
}

export function scheduleResources(): Array<Schedule & { id: string }> {
  return practitioners.flatMap((p) =>
    p.serviceCodes.map((code): Schedule & { id: string } => ({
      resourceType: "Schedule",
      id: scheduleId(p.id, code),
      active: true,
      serviceType: [{ coding: [{ system: serviceTypeSystem, code, display: serviceTypes.find((s) => s.code === code)!.display }] }],
      actor: [{ reference: `Location/${p.locationId}` }, { reference: `Practitioner/${p.id}` }],
    })),
  );
}
