import type { Appointment, Bundle, OperationOutcome, ParametersParameter } from "@medplum/fhirtypes";
import { DateTime } from "luxon";
import type { BookingPatient, OpenSlot, ProviderBookingState, SlotQuery } from "../../adapter.js";
import { ProviderError } from "../../provider-error.js";
import { conflict, type FhirClient, typeName, type Versioned } from "./fhir-client.js";
import { ourIdentifier, practitionerOf, readTimes, toBookingState } from "./fhir-mapping.js";
import { findSchedules } from "./find-schedules.js";
import type { SchedulingDialect } from "./server-features.js";

/** How each guide names the operations' parameters: IHE ITI Scheduling and, before it, Argonaut Scheduling. */
const dialects: Record<
  SchedulingDialect,
  { location?: string; appointment: (reference: string) => ParametersParameter; resource: string }
> = {
  ihe: {
    location: "location-reference",
    appointment: (reference) => ({ name: "appointment-reference", valueReference: { reference } }),
    resource: "appointment-resource",
  },
  argonaut: {
    appointment: (reference) => ({ name: "appt-id", valueUri: reference }),
    resource: "appt-resource",
  },
};

/** How many proposals one $find is asked for; an answer this long may have been cut short, so its window is split. */
const findCount = 100;
/** A window is not split below this: past it, a server that cuts answers short gets the benefit of the doubt. */
const smallestWindowMs = 60 * 60_000;
/** 4xx answers an operation gives when the slot or hold is no longer there: business answers, not faults. */
const refusals = [404, 409, 412, 422];

/**
 * Scheduling through the $find, $hold and $book operations of the IHE ITI
 * Scheduling profile (or Argonaut Scheduling), where the server offers them:
 * unlike the plain REST API, they enforce the slot rules themselves and can
 * hold a slot. A slot is a proposed Appointment from $find; its id is the
 * providerSlotId. A hold is the pending Appointment $hold makes, tagged with
 * our reference (a versioned update) so findBooking can find it; $book books
 * it with the patient. Cancelling is the plain REST update (slot-claims.ts).
 *
 * How long a hold lasts is the server's choice and no part of the protocol:
 * `options.holdSeconds` of the instance says it (else we assume what we asked for).
 */
export function schedulingOperations(
  client: FhirClient,
  providerInstanceId: string,
  dialect: () => SchedulingDialect,
  serverHoldSeconds: number | undefined,
) {
  const taken = (detail: string) => new ProviderError(providerInstanceId, "slot-unavailable", detail);

  /** The Appointment an operation answered (bare, or the one in a Bundle); an OperationOutcome instead is a refusal. */
  function answered(what: string, status: number, body: unknown): Versioned<Appointment> | Appointment {
    if (refusals.includes(status)) throw taken(`${what} was refused: ${diagnostics(body) ?? `HTTP ${status}`}`);
    // A refusal may also come as a 200: a bare OperationOutcome (ITI-116), or a Bundle holding only one (ITI-117).
    if ((body as OperationOutcome | null)?.resourceType === "OperationOutcome")
      throw taken(`${what} was refused: ${diagnostics(body) ?? "no reason given"}`);
    const resource = body as Appointment | Bundle | null;
    const appointment =
      resource?.resourceType === "Bundle"
        ? (resource.entry?.find((e) => e.resource?.resourceType === "Appointment")?.resource as Appointment | undefined)
        : resource?.resourceType === "Appointment"
          ? resource
          : undefined;
    if (!appointment) {
      const outcome =
        resource?.resourceType === "Bundle" ? resource.entry?.find((e) => e.resource?.resourceType === "OperationOutcome") : undefined;
      if (outcome) throw taken(`${what} was refused: ${diagnostics(outcome.resource) ?? "no reason given"}`);
      throw client.fail(`${what} answered ${typeName(body)} without an Appointment`);
    }
    if (typeof appointment.id !== "string") throw client.fail(`${what} answered an Appointment without an id`);
    return appointment;
  }

  async function hold(providerSlotId: string, signal: AbortSignal): Promise<Appointment> {
    const { status, body } = await client.operation(
      "$hold",
      { parameters: { resourceType: "Parameters", parameter: [dialects[dialect()].appointment(`Appointment/${providerSlotId}`)] } },
      signal,
      refusals,
    );
    const held = answered("$hold", status, body);
    if (held.status !== "pending") throw taken(`$hold answered an Appointment that is ${held.status}, not pending`);
    return held;
  }

  async function book(pending: Appointment, additions: Partial<Appointment>, signal: AbortSignal): Promise<ProviderBookingState> {
    const { meta: _meta, ...resource } = pending;
    const { status, body } = await client.operation(
      "$book",
      {
        parameters: {
          resourceType: "Parameters",
          parameter: [
            {
              name: dialects[dialect()].resource,
              resource: {
                ...resource,
                ...additions,
                identifier: [...(pending.identifier ?? []), ...(additions.identifier ?? [])],
                participant: [...pending.participant, ...(additions.participant ?? [])],
                status: "pending",
              },
            },
          ],
        },
      },
      signal,
      refusals,
    );
    const booked = answered("$book", status, body);
    if (booked.status !== "booked") throw taken(`$book answered an Appointment that is ${booked.status}, not booked`);
    return toBookingState(booked, client.fail);
  }

  const patientParticipant = (patient: BookingPatient) => ({ actor: { display: patient.name }, status: "accepted" as const });
  const holdExpiry = (asked: number) => new Date(Date.now() + 1000 * (serverHoldSeconds ?? asked));

  return {
    async findOpenSlots(query: SlotQuery, signal: AbortSignal): Promise<OpenSlot[]> {
      const { schedules, names } = await findSchedules(client, query.clinicCode, query.treatmentCode, signal);
      // $find wants the visit type with its system; the Schedules say which system the clinic codes it in.
      const visitTypes = new Set(
        schedules.flatMap((s) =>
          (s.serviceType ?? [])
            .flatMap((t) => t.coding ?? [])
            .filter(
              (c) =>
                c.system &&
                c.code &&
                (query.treatmentCode.includes("|") ? `${c.system}|${c.code}` === query.treatmentCode : c.code === query.treatmentCode),
            )
            .map((c) => `${c.system}|${c.code}`),
        ),
      );
      const proposals: Appointment[] = [];
      for (const visitType of visitTypes) proposals.push(...(await find(query, visitType, query.window.start, query.window.end, signal)));
      const open = new Map<string, OpenSlot>();
      for (const proposal of proposals) {
        const { start, end } = readTimes(`the proposed Appointment/${proposal.id}`, proposal.start, proposal.end, client.fail);
        const actors = proposal.participant?.map((p) => p.actor).filter((a) => a !== undefined);
        // Checked again here: a server may have ignored a parameter it does not support.
        if (proposal.status !== "proposed" || !actors?.some((a) => a.reference === `Location/${query.clinicCode}`)) continue;
        if (start < query.window.start || start >= query.window.end) continue;
        const practitioner = practitionerOf(actors);
        open.set(proposal.id!, {
          providerSlotId: proposal.id!,
          start,
          end,
          practitionerCode: practitioner?.reference?.slice("Practitioner/".length) ?? "",
          practitionerName: names.get(practitioner?.reference ?? "") ?? practitioner?.display ?? "",
        });
      }
      return [...open.values()].sort((a, b) => a.start.getTime() - b.start.getTime() || a.providerSlotId.localeCompare(b.providerSlotId));
    },

    async holdSlot(
      request: { providerSlotId: string; reference: string; holdSeconds: number },
      signal: AbortSignal,
    ): Promise<ProviderBookingState> {
      const held = await hold(request.providerSlotId, signal);
      // $hold takes no identifier: tag the pending Appointment with our reference, so findBooking finds a hold whose answer was lost.
      const current =
        "meta" in held && held.meta?.versionId
          ? (held as Versioned<Appointment>)
          : await client.read<Appointment>("Appointment", held.id!, signal);
      const tagged = await client.update(
        { ...current, identifier: [...(current.identifier ?? []), ourIdentifier(request.reference)] },
        current.meta.versionId,
        signal,
      );
      if (tagged === conflict) throw taken(`Appointment/${held.id} changed before we could mark it ours; its hold will lapse`);
      return toBookingState(tagged, client.fail, holdExpiry(request.holdSeconds));
    },

    async confirmHold(
      request: { providerBookingRef: string; patient: BookingPatient; note: string },
      signal: AbortSignal,
    ): Promise<ProviderBookingState> {
      const pending = await client.read<Appointment>("Appointment", request.providerBookingRef, signal);
      if (pending.status === "booked") return toBookingState(pending, client.fail);
      if (pending.status !== "pending") throw taken(`Appointment/${pending.id} is ${pending.status}: the hold has lapsed`);
      return book(
        pending,
        { participant: [patientParticipant(request.patient)], ...(request.note ? { comment: request.note } : {}) },
        signal,
      );
    },

    async bookSlot(
      request: { providerSlotId: string; reference: string; patient: BookingPatient; note: string },
      signal: AbortSignal,
    ): Promise<ProviderBookingState> {
      // $book books a proposal it has held; our reference travels with it, so a lost answer is found again.
      const pending = await hold(request.providerSlotId, signal);
      return book(
        pending,
        {
          identifier: [ourIdentifier(request.reference)],
          participant: [patientParticipant(request.patient)],
          ...(request.note ? { comment: request.note } : {}),
        },
        signal,
      );
    },
  };

  /** Every proposal in [start, end): a window whose answer may have been cut at `_count` is asked again in halves. */
  async function find(query: SlotQuery, visitType: string, start: Date, end: Date, signal: AbortSignal): Promise<Appointment[]> {
    const params: Array<[string, string]> = [
      ["start", DateTime.fromJSDate(start).toUTC().toISO()!],
      ["end", DateTime.fromJSDate(end).toUTC().toISO()!],
      ["visit-type", visitType],
      ["_count", String(findCount)],
    ];
    const location = dialects[dialect()].location;
    if (location) params.push([location, `Location/${query.clinicCode}`]);
    const { body } = await client.operation("$find", { query: params }, signal);
    const bundle = body as Bundle | null;
    if (bundle?.resourceType !== "Bundle") throw client.fail(`$find answered ${typeName(body)}, not a Bundle`);
    const proposals = (bundle.entry ?? []).map((e) => e?.resource).filter((r): r is Appointment => r?.resourceType === "Appointment");
    const cut = proposals.length >= findCount || (typeof bundle.total === "number" && bundle.total > proposals.length);
    if (!cut || end.getTime() - start.getTime() <= smallestWindowMs) return proposals;
    const middle = new Date(start.getTime() + Math.floor((end.getTime() - start.getTime()) / 2));
    return [...(await find(query, visitType, start, middle, signal)), ...(await find(query, visitType, middle, end, signal))];
  }
}

function diagnostics(body: unknown): string | undefined {
  const outcome = body as OperationOutcome | null;
  return outcome?.resourceType === "OperationOutcome" ? (outcome.issue?.[0]?.diagnostics ?? outcome.issue?.[0]?.code) : undefined;
}
