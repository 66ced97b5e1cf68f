/**
 * What the Klinikbokning simulator serves: a small Swedish clinic chain. The
 * codes are Klinikbokning's own; config/demo-catalog.json maps them to
 * Vården's ids.
 */
export interface SimClinic {
  clinicCode: string;
  displayName: string;
  city: string;
  street: string;
  timezone: string;
  /** Opening hours per ISO weekday (1 = Monday … 7 = Sunday), local wall-clock "HH:MM". */
  hours: Partial<Record<number, readonly [string, string]>>;
}

export interface SimService {
  serviceCode: string;
  title: string;
  lengthMinutes: number;
}

export interface SimPractitioner {
  practitionerId: string;
  fullName: string;
  clinicCode: string;
  serviceCodes: string[];
}

const weekdays = {
  1: ["08:00", "17:00"],
  2: ["08:00", "17:00"],
  3: ["08:00", "17:00"],
  4: ["08:00", "17:00"],
  5: ["08:00", "16:00"],
} as const;

export const clinics: SimClinic[] = [
  {
    clinicCode: "KB-STH-ODEN",
    displayName: "Klinik Odenplan",
    city: "Stockholm",
    street: "Odengatan 65",
    timezone: "Europe/Stockholm",
    hours: { ...weekdays },
  },
  {
    clinicCode: "KB-STH-SOD",
    displayName: "Klinik Södermalm",
    city: "Stockholm",
    street: "Götgatan 40",
    timezone: "Europe/Stockholm",
    // Open at weekends too, so that the DST switch Sundays have slots.
    hours: { ...weekdays, 6: ["10:00", "14:00"], 7: ["10:00", "14:00"] },
  },
  {
    clinicCode: "KB-GBG-AVE",
    displayName: "Klinik Avenyn",
    city: "Göteborg",
    street: "Kungsportsavenyen 10",
    timezone: "Europe/Stockholm",
    hours: { ...weekdays },
  },
];

export const services: SimService[] = [
  { serviceCode: "UND30", title: "Undersökning", lengthMinutes: 30 },
  { serviceCode: "HYG45", title: "Tandhygienist", lengthMinutes: 45 },
  { serviceCode: "VAC15", title: "Influensavaccination", lengthMinutes: 15 },
];

export const practitioners: SimPractitioner[] = [
  { practitionerId: "P-101", fullName: "Dr. Karin Lind", clinicCode: "KB-STH-ODEN", serviceCodes: ["UND30"] },
  { practitionerId: "P-102", fullName: "Johan Ek", clinicCode: "KB-STH-ODEN", serviceCodes: ["HYG45"] },
  { practitionerId: "P-201", fullName: "Dr. Sara Berg", clinicCode: "KB-STH-SOD", serviceCodes: ["UND30", "VAC15"] },
  { practitionerId: "P-301", fullName: "Maria Holm", clinicCode: "KB-GBG-AVE", serviceCodes: ["HYG45", "VAC15"] },
];
