import type { Location, Schedule, Slot } from "@medplum/fhirtypes";
import type { ProviderCatalog } from "../../adapter.js";
import type { FhirClient } from "./fhir-client.js";
import { locationIdOf, practitionerNames, practitionerOf } from "./fhir-mapping.js";

const timeZoneExtension = "http://hl7.org/fhir/StructureDefinition/timezone";
/** How far ahead the Slots that say how long a treatment takes are looked for. */
const sampleDays = 28;

/**
 * The provider's own catalog: Locations (with their time zone extension,
 * else the instance's zone), the service types of the Schedules, and the
 * Practitioners the Schedules include. A FHIR Schedule does not say how long
 * its appointments take, its Slots do: a treatment lasts what most of its
 * Slots of the coming weeks last (0 when it has none, which onboarding must
 * then settle by hand).
 */
export async function readCatalog(client: FhirClient, defaultTimeZone: string, signal: AbortSignal): Promise<ProviderCatalog> {
  const [{ matches: locations }, { matches: schedules, included }] = await Promise.all([
    client.search<Location>("Location", [["_count", "100"]], signal),
    client.search<Schedule>(
      "Schedule",
      [
        ["_include", "Schedule:actor"],
        ["_count", "100"],
      ],
      signal,
    ),
  ]);
  const names = practitionerNames(included);
  const treatments = new Map<string, ProviderCatalog["treatments"][number] & { schedules: string[] }>();
  for (const schedule of schedules) {
    for (const coding of schedule.serviceType?.flatMap((t) => t.coding ?? []) ?? []) {
      if (!coding.code) continue;
      const known = treatments.get(coding.code) ?? {
        code: coding.code,
        name: coding.display ?? coding.code,
        durationMinutes: 0,
        clinicCodes: [],
        schedules: [],
      };
      const clinic = locationIdOf(schedule);
      if (clinic && !known.clinicCodes.includes(clinic)) known.clinicCodes.push(clinic);
      known.schedules.push(`Schedule/${schedule.id}`);
      treatments.set(coding.code, known);
    }
  }
  const now = new Date();
  const until = new Date(now.getTime() + sampleDays * 86_400_000);
  await Promise.all(
    [...treatments.values()].map(async (treatment) => {
      const { matches: slots } = await client.search<Slot>(
        "Slot",
        [
          ["schedule", treatment.schedules.join(",")],
          ["start", `ge${now.toISOString()}`],
          ["start", `lt${until.toISOString()}`],
          ["_count", "50"],
        ],
        signal,
        { firstPageOnly: true },
      );
      treatment.durationMinutes = mostCommon(slots.map((s) => Math.round((Date.parse(s.end) - Date.parse(s.start)) / 60_000)));
    }),
  );

  const practitioners = new Map<string, ProviderCatalog["practitioners"][number]>();
  for (const schedule of schedules) {
    const reference = practitionerOf(schedule.actor)?.reference;
    if (!reference) continue;
    const code = reference.slice("Practitioner/".length);
    const known = practitioners.get(code) ?? {
      code,
      name: names.get(reference) ?? "",
      clinicCode: locationIdOf(schedule) ?? "",
      treatmentCodes: [],
    };
    for (const coding of schedule.serviceType?.flatMap((t) => t.coding ?? []) ?? []) {
      if (coding.code && !known.treatmentCodes.includes(coding.code)) known.treatmentCodes.push(coding.code);
    }
    practitioners.set(code, known);
  }

  return {
    clinics: locations
      .filter((l): l is Location & { id: string } => typeof l.id === "string")
      .map((l) => ({
        code: l.id,
        name: l.name ?? "",
        city: l.address?.city ?? "",
        address: [...(l.address?.line ?? []), [l.address?.postalCode, l.address?.city].filter(Boolean).join(" ")]
          .filter(Boolean)
          .join(", "),
        timeZone: l.extension?.find((e) => e.url === timeZoneExtension)?.valueCode ?? defaultTimeZone,
        ...telecomOf(l),
      })),
    treatments: [...treatments.values()].map(({ schedules: _schedules, ...treatment }) => treatment),
    practitioners: [...practitioners.values()],
  };
}

function telecomOf(location: Location): { phone?: string; website?: string } {
  const phone = location.telecom?.find((t) => t.system === "phone")?.value;
  const website = location.telecom?.find((t) => t.system === "url")?.value;
  return { ...(phone ? { phone } : {}), ...(website ? { website } : {}) };
}

function mostCommon(values: number[]): number {
  const counts = new Map<number, number>();
  for (const value of values) if (value > 0) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 0;
}
