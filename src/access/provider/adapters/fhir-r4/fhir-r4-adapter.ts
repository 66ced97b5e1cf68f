import type { Appointment, Bundle, Location, Practitioner, Resource, Schedule, Slot } from "@medplum/fhirtypes";
import type { AdapterFactory, OpenSlot, ProviderAdapter, ProviderBookingState, ProviderCatalog } from "../../adapter.js";
import { fetchJson } from "../../private/fetch-json.js";
import { ProviderError } from "../../provider-error.js";

/** Where our reservation id is kept on the Appointment, so a lost answer can be found again. */
export const reservationIdentifierSystem = "https://booking-platform.example/reservation-id";
const timeZoneExtension = "http://hl7.org/fhir/StructureDefinition/timezone";
const maxPages = 50;

/**
 * FHIR R4 scheduling. Clinic code = Location id; treatment code = a
 * Schedule.serviceType code (`code` or `system|code`). Free slots come from
 * Schedule search by location and service type, then Slot search per schedule
 * (`start=ge…&start=lt…&status=free`), following Bundle `next` links. Booking
 * creates an Appointment referencing the Slot and carrying our reservation id
 * as an identifier; cancelling updates it to `cancelled`.
 *
 * FHIR instants carry their offset, so no time-zone arithmetic is needed for
 * slots; the Location's timezone extension gives the clinic's zone.
 * Holds ($hold of IHE ITI Scheduling) are not used: supportsHold is false.
 */
export const createFhirR4Adapter: AdapterFactory = (instance, fetchImpl = fetch): ProviderAdapter => {
  const base = instance.baseUrl.replace(/\/$/, "");
  const origin = new URL(base).origin;
  const headers = { authorization: `Bearer ${instance.apiKey ?? ""}`, accept: "application/fhir+json" };
  const fail = (detail: string) => new ProviderError(instance.id, "bad-response", detail);

  /** Every resource of a search, across its pages. Next links must stay on the server we were given. */
  async function searchAll<T extends Resource>(
    path: string,
    params: Array<[string, string]>,
    resourceType: T["resourceType"],
    signal: AbortSignal,
  ): Promise<T[]> {
    const found: T[] = [];
    let next: string | undefined = `${base}/${path}?${new URLSearchParams(params)}`;
    for (let page = 1; next; page++) {
      if (page > maxPages) throw fail(`more than ${maxPages} pages of ${resourceType}`);
      const { body } = await fetchJson(instance.id, next, { headers, signal, template: `/${path}` }, fetchImpl);
      const bundle = body as Bundle;
      if (bundle?.resourceType !== "Bundle") throw fail(`expected a Bundle, got ${typeName(bundle)}`);
      for (const entry of bundle.entry ?? []) {
        if (entry?.resource?.resourceType === resourceType) found.push(entry.resource as T);
        else if (entry?.search?.mode !== "include" && entry?.search?.mode !== "outcome")
          throw fail(`expected ${resourceType} entries, got ${typeName(entry?.resource)}`);
      }
      next = bundle.link?.find((l) => l.relation === "next")?.url;
      if (next && new URL(next).origin !== origin) throw fail(`a next link leaves the server: ${next}`);
    }
    return found;
  }

  const write = async (method: "POST" | "PUT", path: string, resource: Appointment, signal: AbortSignal): Promise<Appointment> => {
    const template = method === "POST" ? "/Appointment" : "/Appointment/{id}";
    const response = await fetchJson(
      instance.id,
      `${base}/${path}`,
      {
        method,
        headers: { ...headers, "content-type": "application/fhir+json" },
        body: JSON.stringify(resource),
        signal,
        template,
        accept: [409, 412, 422],
      },
      fetchImpl,
    );
    if (response.status !== 200 && response.status !== 201) {
      throw new ProviderError(instance.id, "slot-unavailable", diagnostics(response.body) ?? `HTTP ${response.status}`);
    }
    const appointment = response.body as Appointment;
    if (appointment?.resourceType !== "Appointment" || typeof appointment.id !== "string") throw fail("expected the Appointment back");
    return appointment;
  };

  return {
    capabilities: { supportsHold: false, bookingMode: "api", asyncWrite: false, pushChanges: false, catalog: true },

    async findOpenSlots(query, signal) {
      const schedules = await searchAll<Schedule>(
        "Schedule",
        [
          ["actor", `Location/${query.clinicCode}`],
          ["service-type", query.treatmentCode],
        ],
        "Schedule",
        signal,
      );
      const perSchedule = await Promise.all(
        schedules.map(async (schedule) => {
          if (typeof schedule.id !== "string") throw fail("a Schedule without an id");
          const practitioner = schedule.actor?.find((a) => a.reference?.startsWith("Practitioner/"));
          const slots = await searchAll<Slot>(
            "Slot",
            [
              ["schedule", `Schedule/${schedule.id}`],
              ["start", `ge${query.window.start.toISOString()}`],
              ["start", `lt${query.window.end.toISOString()}`],
              ["status", "free"],
              ["_count", "100"],
            ],
            "Slot",
            signal,
          );
          return slots.map((slot): OpenSlot => {
            if (typeof slot.id !== "string" || typeof slot.start !== "string" || typeof slot.end !== "string") {
              throw fail(`a Slot without id, start or end (${JSON.stringify(slot).slice(0, 120)})`);
            }
            const start = new Date(slot.start);
            const end = new Date(slot.end);
            if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start)
              throw fail(`Slot/${slot.id} has unreadable times`);
            return {
              providerSlotId: slot.id,
              start,
              end,
              practitionerCode: practitioner?.reference?.split("/")[1] ?? "",
              practitionerName: practitioner?.display ?? "",
            };
          });
        }),
      );
      // The server filters, but a slot outside the window or not free is never passed on.
      return perSchedule.flat().filter((s) => s.start >= query.window.start && s.start < query.window.end);
    },

    async bookSlot({ providerSlotId, reference, patient, note }, signal) {
      const appointment = await write(
        "POST",
        "Appointment",
        {
          resourceType: "Appointment",
          status: "booked",
          slot: [{ reference: `Slot/${providerSlotId}` }],
          identifier: [{ system: reservationIdentifierSystem, value: reference }],
          comment: note || undefined,
          participant: [{ actor: { display: patient.name }, status: "accepted" }],
        },
        signal,
      );
      return toState(appointment);
    },

    async cancelBooking({ providerBookingRef }, signal) {
      const { body } = await fetchJson(
        instance.id,
        `${base}/Appointment/${encodeURIComponent(providerBookingRef)}`,
        { headers, signal, template: "/Appointment/{id}" },
        fetchImpl,
      );
      const current = body as Appointment;
      if (current?.resourceType !== "Appointment") throw fail("expected an Appointment");
      return toState(
        await write("PUT", `Appointment/${encodeURIComponent(providerBookingRef)}`, { ...current, status: "cancelled" }, signal),
      );
    },

    async findBooking(reference, signal) {
      const found = await searchAll<Appointment>(
        "Appointment",
        [["identifier", `${reservationIdentifierSystem}|${reference}`]],
        "Appointment",
        signal,
      );
      return found.map(toState).find((state) => state.status !== "cancelled");
    },

    async listCatalog(signal) {
      const [locations, schedules, practitioners] = await Promise.all([
        searchAll<Location>("Location", [], "Location", signal),
        searchAll<Schedule>("Schedule", [], "Schedule", signal),
        searchAll<Practitioner>("Practitioner", [], "Practitioner", signal),
      ]);
      const locationOf = (s: Schedule) => s.actor?.find((a) => a.reference?.startsWith("Location/"))?.reference?.split("/")[1] ?? "";
      const practitionerOf = (s: Schedule) =>
        s.actor?.find((a) => a.reference?.startsWith("Practitioner/"))?.reference?.split("/")[1] ?? "";
      const treatments = new Map<string, ProviderCatalog["treatments"][number]>();
      for (const schedule of schedules) {
        for (const coding of schedule.serviceType?.flatMap((t) => t.coding ?? []) ?? []) {
          if (!coding.code) continue;
          const known = treatments.get(coding.code) ?? {
            code: coding.code,
            name: coding.display ?? coding.code,
            durationMinutes: 0,
            clinicCodes: [],
          };
          if (!known.clinicCodes.includes(locationOf(schedule))) known.clinicCodes.push(locationOf(schedule));
          treatments.set(coding.code, known);
        }
      }
      return {
        clinics: locations.map((l) => {
          const timeZone = l.extension?.find((e) => e.url === timeZoneExtension)?.valueCode ?? instance.timeZone;
          return {
            code: l.id ?? "",
            name: l.name ?? "",
            city: l.address?.city ?? "",
            address: (l.address?.line ?? []).join(", "),
            timeZone,
          };
        }),
        // FHIR Schedules do not say how long a slot is: take the length from the slots themselves when onboarding.
        treatments: [...treatments.values()].map((t) => ({ ...t, durationMinutes: t.durationMinutes || 1 })),
        practitioners: practitioners.map((p) => ({
          code: p.id ?? "",
          name: p.name?.[0]?.text ?? [p.name?.[0]?.given?.join(" "), p.name?.[0]?.family].filter(Boolean).join(" "),
          clinicCode: locationOf(schedules.find((s) => practitionerOf(s) === p.id) ?? { resourceType: "Schedule", actor: [] }),
          treatmentCodes: schedules
            .filter((s) => practitionerOf(s) === p.id)
            .flatMap((s) => s.serviceType?.flatMap((t) => t.coding?.map((c) => c.code ?? "") ?? []) ?? []),
        })),
      };
    },
  };

  function toState(appointment: Appointment): ProviderBookingState {
    const status =
      appointment.status === "cancelled"
        ? "cancelled"
        : appointment.status === "booked" || appointment.status === "arrived" || appointment.status === "fulfilled"
          ? "booked"
          : undefined;
    if (!status) throw fail(`Appointment/${appointment.id} has status ${appointment.status}, not booked or cancelled`);
    return { providerBookingRef: appointment.id!, status };
  }
};

function typeName(value: unknown): string {
  return typeof value === "object" && value !== null && "resourceType" in value
    ? String((value as { resourceType: unknown }).resourceType)
    : typeof value;
}

function diagnostics(body: unknown): string | undefined {
  const issue = (body as { issue?: Array<{ diagnostics?: string }> } | null)?.issue?.[0];
  return issue?.diagnostics;
}
