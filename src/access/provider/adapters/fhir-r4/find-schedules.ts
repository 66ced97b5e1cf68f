import type { Schedule } from "@medplum/fhirtypes";
import type { FhirClient } from "./fhir-client.js";
import { locationIdOf, offersTreatment, practitionerNames } from "./fhir-mapping.js";

/**
 * The Schedules of one clinic (Location) for one treatment, with their
 * practitioners' names from `_include=Schedule:actor`: one search. The server
 * may ignore a parameter it does not support, so what comes back is checked
 * against the query again.
 */
export async function findSchedules(
  client: FhirClient,
  clinicCode: string,
  treatmentCode: string,
  signal: AbortSignal,
): Promise<{ schedules: Array<Schedule & { id: string }>; names: Map<string, string> }> {
  const { matches, included } = await client.search<Schedule>(
    "Schedule",
    [
      ["actor", `Location/${clinicCode}`],
      ["service-type", treatmentCode],
      ["_include", "Schedule:actor"],
      ["_count", "100"],
    ],
    signal,
  );
  const schedules = matches.filter(
    (s): s is Schedule & { id: string } =>
      typeof s.id === "string" && s.active !== false && locationIdOf(s) === clinicCode && offersTreatment(s.serviceType, treatmentCode),
  );
  return { schedules, names: practitionerNames(included) };
}
