import { createHash } from "node:crypto";
import type { Schedule, Slot } from "@medplum/fhirtypes";
import { DateTime } from "luxon";
import type { ResourceStore } from "./resource-store.js";
import { locations, serviceTypes } from "./seed-data.js";

/**
 * Where the simulator's Slots come from. A real server has Slots because
 * someone created them; tests ask about any date, so a location's slots for a
 * local day are created the first time that day is searched or read, and from
 * then on they are ordinary stored resources with versions, which the server
 * never changes by itself. Some are created busy: other patients booked them
 * long ago (decided by a hash of the seed, so every run sees the same).
 */
export class SlotCalendar {
  private readonly materialised = new Set<string>();

  constructor(
    private readonly store: ResourceStore,
    private readonly seed: string,
  ) {}

  /** Every slot of the location on each local date touched by [from, to). */
  ensure(locationId: string, from: DateTime, to: DateTime): void {
    const location = locations.find((l) => l.id === locationId);
    if (!location) return;
    for (let day = from.setZone(location.timeZone).startOf("day"); day < to; day = day.plus({ days: 1 })) {
      const key = `${locationId}|${day.toISODate()}`;
      if (this.materialised.has(key)) continue;
      this.materialised.add(key);
      for (const schedule of this.schedulesAt(locationId)) for (const slot of this.slotsOf(schedule, day)) this.store.seed(slot);
    }
  }

  /** The day a slot id names, so that reading a slot nobody searched for yet still finds it. */
  ensureSlot(slotId: string): void {
    const match = /^(.+)-(\d{8})-(\d{4})$/.exec(slotId);
    const schedule = match ? this.store.read<Schedule>("Schedule", match[1]!) : undefined;
    const locationId = schedule ? locationOf(schedule) : undefined;
    const zone = locations.find((l) => l.id === locationId)?.timeZone;
    if (!match || !locationId || !zone) return;
    const day = DateTime.fromFormat(match[2]!, "yyyyMMdd", { zone });
    if (day.isValid) this.ensure(locationId, day, day.plus({ days: 1 }));
  }

  schedulesAt(locationId: string): Array<Schedule & { id: string }> {
    return this.store.all<Schedule>("Schedule").filter((s) => locationOf(s) === locationId);
  }

  private slotsOf(schedule: Schedule & { id: string }, day: DateTime): Array<Slot & { id: string }> {
    const location = locations.find((l) => l.id === locationOf(schedule))!;
    const code = schedule.serviceType?.[0]?.coding?.[0]?.code;
    const minutes = serviceTypes.find((s) => s.code === code)?.minutes;
    const hours = location.hours[day.weekday];
    if (!minutes || !hours) return [];
    const [open, close] = hours.map((hm) => day.set({ hour: Number(hm.slice(0, 2)), minute: Number(hm.slice(3, 5)) }));
    const slots: Array<Slot & { id: string }> = [];
    for (let start = open!; start.plus({ minutes }) <= close!; start = start.plus({ minutes })) {
      const id = `${schedule.id}-${start.toFormat("yyyyMMdd-HHmm")}`;
      slots.push({
        resourceType: "Slot",
        id,
        schedule: { reference: `Schedule/${schedule.id}` },
        serviceType: schedule.serviceType,
        status: this.bookedLongAgo(id) ? "busy" : "free",
        start: start.toISO({ suppressMilliseconds: true })!,
        end: start.plus({ minutes }).toISO({ suppressMilliseconds: true })!,
      });
    }
    return slots;
  }

  private bookedLongAgo(slotId: string): boolean {
    return createHash("sha256").update(`${this.seed}:${slotId}`).digest()[0]! % 5 === 0;
  }
}

export function locationOf(schedule: Schedule): string | undefined {
  return schedule.actor?.find((a) => a.reference?.startsWith("Location/"))?.reference?.slice("Location/".length);
}
