/** What the FHIR simulator serves: a small clinic network's Locations, Practitioners and Schedules. */
export const serviceTypeSystem = "https://fhir.example.se/CodeSystem/service-type";
export const timeZoneExtension = "http://hl7.org/fhir/StructureDefinition/timezone";

export interface SimLocation {
  id: string;
  name: string;
  city: string;
  line: string;
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
    timeZone: "Europe/Stockholm",
    hours: { ...weekdays, 6: ["09:00", "15:00"], 7: ["09:00", "15:00"] },
  },
  {
    id: "loc-uppsala",
    name: "Vårdcentral Uppsala",
    city: "Uppsala",
    line: "Dragarbrunnsgatan 2",
    timeZone: "Europe/Stockholm",
    hours: { ...weekdays },
  },
];

export const serviceTypes = [
  { code: "CHK", display: "Dental check-up", minutes: 30 },
  { code: "HYG", display: "Dental hygienist", minutes: 45 },
];

export const practitioners = [
  { id: "prac-eva", name: "Eva Ek", locationId: "loc-sodermalm", serviceCodes: ["CHK", "HYG"] },
  { id: "prac-nils", name: "Nils Dahl", locationId: "loc-uppsala", serviceCodes: ["CHK"] },
];
