import type {
  Appointment,
  AppointmentParticipant,
  Bundle,
  OperationOutcome,
  Parameters,
  Resource,
  Schedule,
  Slot,
} from "@medplum/fhirtypes";
import { DateTime } from "luxon";
import { FhirFailure, type ResourceStore, type Stored } from "./resource-store.js";
import { maxSlotSearchDays } from "./search.js";
import { locationOf, type SlotCalendar } from "./slot-calendar.js";

/** An operation's input parameters, from the query string (GET) or a Parameters resource (POST). */
export interface OperationInput {
  value(name: string): string | undefined;
  resource(name: string): Resource | undefined;
}

export function inputFromQuery(query: URLSearchParams): OperationInput {
  return { value: (name) => query.get(name) ?? undefined, resource: () => undefined };
}

export function inputFromParameters(parameters: Parameters): OperationInput {
  if (parameters?.resourceType !== "Parameters") throw new FhirFailure(400, "invalid", "the body must be a Parameters resource");
  const named = (name: string) => parameters.parameter?.find((p) => p.name === name);
  return {
    value(name) {
      const p = named(name);
      return p?.valueReference?.reference ?? p?.valueDateTime ?? p?.valueString ?? p?.valueCode ?? p?.valueUri ?? undefined;
    },
    resource: (name) => named(name)?.resource,
  };
}

const proposedPrefix = "proposed-";
const defaultCount = 20;
const maxCount = 100;

/**
 * The IHE ITI Scheduling operations, which a plain FHIR server does not have:
 * `Appointment/$find` (ITI-115: proposed Appointments for free slots, at most
 * `_count` of them, no paging), `$hold` (ITI-116: a pending Appointment, the
 * Slot busy-tentative, refused with 422 and an OperationOutcome when the slot
 * is gone) and `$book` (ITI-117: the Appointment booked and the Slot busy; a
 * refusal is a 200 Bundle holding only an OperationOutcome, as the profile
 * says). Unlike the plain REST API they enforce the slot rules: a held or
 * booked slot cannot be held or booked again, and a hold lapses after
 * `holdSeconds` (its Appointment cancelled, its Slot free again).
 */
export class IheScheduling {
  private readonly holds = new Map<string, { slotId: string; expiresAt: number }>();

  constructor(
    private readonly store: ResourceStore,
    private readonly calendar: SlotCalendar,
    private readonly holdSeconds: number,
  ) {}

  /** Lapsed holds let their slots go; run before every request, as if a timer had. */
  expireLapsedHolds(now = Date.now()): void {
    for (const [appointmentId, hold] of this.holds) {
      if (hold.expiresAt > now) continue;
      this.holds.delete(appointmentId);
      const appointment = this.store.read<Appointment>("Appointment", appointmentId);
      if (appointment?.status === "pending") this.store.update({ ...appointment, status: "cancelled" });
      const slot = this.store.read<Slot>("Slot", hold.slotId);
      if (slot?.status === "busy-tentative") this.store.update({ ...slot, status: "free" });
    }
  }

  find(input: OperationInput, garble: boolean): Bundle {
    const start = DateTime.fromISO(input.value("start") ?? "", { zone: "utc" });
    const end = DateTime.fromISO(input.value("end") ?? "", { zone: "utc" });
    if (!start.isValid || !end.isValid || end <= start)
      throw new FhirFailure(400, "required", "start and end (dateTime, start first) are required");
    if (end.diff(start, "days").days > maxSlotSearchDays)
      throw new FhirFailure(400, "too-costly", `at most ${maxSlotSearchDays} days per $find`);
    const visitType = input.value("visit-type");
    if (visitType !== undefined && !/^[^|]+\|[^|]+$/.test(visitType)) {
      throw new FhirFailure(400, "invalid", "visit-type must carry both system and code: visit-type=[system]|[code]");
    }
    const location = input.value("location-reference")?.replace(/^.*\/?Location\//, "");
    const practitioner = input.value("practitioner")?.replace(/^.*\/?Practitioner\//, "");
    const count = Math.min(Math.max(1, Number(input.value("_count") ?? defaultCount) || defaultCount), maxCount);

    const schedules = this.store
      .all<Schedule>("Schedule")
      .filter((s) => s.active !== false && (!location || locationOf(s) === location))
      .filter((s) => !practitioner || s.actor?.some((a) => a.reference === `Practitioner/${practitioner}`))
      .filter((s) => !visitType || s.serviceType?.some((t) => t.coding?.some((c) => `${c.system}|${c.code}` === visitType)));
    for (const locationId of new Set(schedules.map(locationOf))) if (locationId) this.calendar.ensure(locationId, start, end);
    const refs = new Map(schedules.map((s) => [`Schedule/${s.id}`, s]));
    const now = Date.now();
    const proposed = this.store
      .all<Slot>("Slot")
      .filter((slot) => refs.has(slot.schedule.reference ?? "") && this.available(slot, now))
      .filter((slot) => {
        const at = DateTime.fromISO(slot.start);
        return at >= start && at < end;
      })
      .sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || a.id.localeCompare(b.id))
      .slice(0, count)
      .map((slot) => this.proposal(slot, refs.get(slot.schedule.reference!)!));
    return {
      resourceType: "Bundle",
      type: "searchset",
      total: proposed.length,
      entry: proposed.map((appointment) => ({
        resource: garble ? ({ ...appointment, start: Date.parse(appointment.start!), end: null } as unknown as Appointment) : appointment,
        search: { mode: "match" },
      })),
    };
  }

  hold(input: OperationInput): Bundle {
    const reference = input.value("appointment-reference");
    if (!reference) throw new FhirFailure(400, "required", "appointment-reference is required");
    const slot = this.proposedSlot(reference);
    if (!slot || !this.available(slot, Date.now())) {
      throw new FhirFailure(422, "not-found", `${reference} is no longer available`, "fatal");
    }
    const schedule = this.store.read<Schedule>("Schedule", slot.schedule.reference!.replace("Schedule/", ""))!;
    const { id: _proposedId, ...proposal } = this.proposal(slot, schedule);
    const appointment = this.store.create<Appointment>({ ...proposal, status: "pending", created: new Date().toISOString() });
    this.holds.set(appointment.id, { slotId: slot.id, expiresAt: Date.now() + this.holdSeconds * 1000 });
    this.store.update({ ...slot, status: "busy-tentative" });
    return searchset(appointment);
  }

  book(input: OperationInput): Bundle {
    const supplied = input.resource("appointment-resource") as Appointment | undefined;
    if (supplied && (supplied.resourceType !== "Appointment" || supplied.status !== "pending")) {
      throw new FhirFailure(400, "invalid", "appointment-resource must be an Appointment with status pending");
    }
    const reference =
      input.value("appointment-reference") ?? (supplied?.id ? `Appointment/${supplied.id}` : supplied?.slot?.[0]?.reference);
    if (!reference) throw new FhirFailure(400, "required", "appointment-reference or appointment-resource is required");
    const now = Date.now();

    const id = reference.split("/").pop() ?? "";
    const held = this.store.read<Appointment>("Appointment", id);
    if (held) {
      const hold = this.holds.get(held.id);
      if (held.status !== "pending" || !hold || hold.expiresAt <= now) return refusal(`Appointment/${held.id} is not held (any more)`);
      this.holds.delete(held.id);
      const slot = this.store.read<Slot>("Slot", hold.slotId)!;
      this.store.update({ ...slot, status: "busy" });
      return searchset(this.store.update({ ...merge(held, supplied), status: "booked" }));
    }
    const slot = reference.startsWith("Slot/") ? this.store.read<Slot>("Slot", reference.slice(5)) : this.proposedSlot(reference);
    if (!slot || !this.available(slot, now)) return refusal(`${reference} is no longer available`);
    const schedule = this.store.read<Schedule>("Schedule", slot.schedule.reference!.replace("Schedule/", ""))!;
    const { id: _proposedId, ...proposal } = this.proposal(slot, schedule);
    this.store.update({ ...slot, status: "busy" });
    return searchset(this.store.create<Appointment>({ ...merge(proposal, supplied), status: "booked", created: new Date().toISOString() }));
  }

  /** Free, not held by anyone, and not begun. */
  private available(slot: Slot & { id: string }, now: number): boolean {
    if (slot.status !== "free" || Date.parse(slot.start) <= now) return false;
    for (const [appointmentId, hold] of this.holds) {
      if (
        hold.slotId === slot.id &&
        hold.expiresAt > now &&
        this.store.read<Appointment>("Appointment", appointmentId)?.status === "pending"
      )
        return false;
    }
    return true;
  }

  private proposedSlot(reference: string): Stored<Slot> | undefined {
    const id = reference.split("/").pop() ?? "";
    if (!id.startsWith(proposedPrefix)) return undefined;
    const slotId = id.slice(proposedPrefix.length);
    this.calendar.ensureSlot(slotId);
    return this.store.read<Slot>("Slot", slotId);
  }

  private proposal(slot: Slot & { id: string }, schedule: Schedule): Appointment & { id: string } {
    const participant: AppointmentParticipant[] = (schedule.actor ?? []).map((actor) => ({
      actor: { reference: actor.reference },
      required: "required",
      status: "needs-action",
    }));
    return {
      resourceType: "Appointment",
      id: `${proposedPrefix}${slot.id}`,
      status: "proposed",
      serviceType: schedule.serviceType,
      start: slot.start,
      end: slot.end,
      slot: [{ reference: `Slot/${slot.id}` }],
      participant,
    };
  }
}

/** What a client may add when it books: who the patient is, its identifiers, a comment. The server keeps its own actors. */
function merge<T extends Appointment>(server: T, client: Appointment | undefined): T {
  if (!client) return server;
  const ours = (p: AppointmentParticipant) => /^(Practitioner|Location)\//.test(p.actor?.reference ?? "");
  return {
    ...server,
    identifier: [...(server.identifier ?? []), ...(client.identifier ?? [])],
    participant: [...server.participant.filter(ours), ...(client.participant ?? []).filter((p) => !ours(p))],
    ...(client.comment ? { comment: client.comment } : {}),
  };
}

function searchset(appointment: Appointment): Bundle {
  return { resourceType: "Bundle", type: "searchset", total: 1, entry: [{ resource: appointment, search: { mode: "match" } }] };
}

function refusal(diagnostics: string): Bundle {
  const outcome: OperationOutcome = { resourceType: "OperationOutcome", issue: [{ severity: "fatal", code: "not-found", diagnostics }] };
  return { resourceType: "Bundle", type: "searchset", entry: [{ resource: outcome, search: { mode: "outcome" } }] };
}
