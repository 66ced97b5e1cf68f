import type { Extension } from "@medplum/fhirtypes";
import type { ProviderError } from "../../provider-error.js";

/** SMART's extensions, under the registry the original specification used and under HL7's, where the IG moved them. */
const registries = [
  "http://fhir-registry.smarthealthit.org/StructureDefinition/",
  "http://hl7.org/fhir/uv/smart-scheduling-links/StructureDefinition/",
];
export const smartExtension = (extensions: Extension[] | undefined, name: string) =>
  extensions?.find((e) => registries.some((registry) => e.url === `${registry}${name}`));

/** One free slot, as little of it as a search needs: a feed may hold tens of thousands. */
export interface IndexedSlot {
  id: string;
  start: number;
  end: number;
  bookingLink?: string;
  bookingPhone?: string;
  /** Places left in the slot (slot-capacity); absent means one. */
  capacity?: number;
}

/**
 * The free slots of a Slot file, by schedule and sorted by start, built one
 * NDJSON line at a time: a search looks up its schedules and cuts its window
 * out by binary search, instead of scanning every slot of every site. Busy
 * slots, and slots without a place left, are dropped as they are read.
 */
export class SlotIndex {
  private readonly bySchedule = new Map<string, IndexedSlot[]>();
  private sorted = true;
  size = 0;

  /** One line of a Slot file; a line that is not a readable Slot fails the whole file. */
  add(line: string, lineNumber: number, fail: (detail: string) => ProviderError): void {
    let slot: {
      resourceType?: unknown;
      id?: unknown;
      status?: unknown;
      start?: unknown;
      end?: unknown;
      schedule?: { reference?: unknown };
      extension?: Extension[];
    };
    try {
      slot = JSON.parse(line);
    } catch {
      throw fail(`line ${lineNumber} of a Slot file is not JSON`);
    }
    if (slot?.resourceType !== "Slot" || typeof slot.id !== "string") throw fail(`line ${lineNumber} is not a Slot with an id`);
    const start = typeof slot.start === "string" ? Date.parse(slot.start) : Number.NaN;
    const end = typeof slot.end === "string" ? Date.parse(slot.end) : Number.NaN;
    if (Number.isNaN(start) || Number.isNaN(end)) throw fail(`Slot/${slot.id} has no readable start and end`);
    const capacity = smartExtension(slot.extension, "slot-capacity")?.valueInteger;
    if (capacity !== undefined && (!Number.isInteger(capacity) || capacity < 0))
      throw fail(`Slot/${slot.id} has a capacity of ${capacity}`);
    if (slot.status !== "free" || capacity === 0 || typeof slot.schedule?.reference !== "string") return;
    const bookingLink = smartExtension(slot.extension, "booking-deep-link")?.valueUrl;
    const bookingPhone = smartExtension(slot.extension, "booking-phone")?.valueString;
    const slots = this.bySchedule.get(slot.schedule.reference) ?? [];
    if (slots.length && slots.at(-1)!.start > start) this.sorted = false;
    slots.push({
      id: slot.id,
      start,
      end,
      ...(bookingLink ? { bookingLink } : {}),
      ...(bookingPhone ? { bookingPhone } : {}),
      ...(capacity !== undefined ? { capacity } : {}),
    });
    this.bySchedule.set(slot.schedule.reference, slots);
    this.size++;
  }

  /** Done reading: files are usually in time order already, and are sorted where they are not. */
  seal(): this {
    if (!this.sorted) for (const slots of this.bySchedule.values()) slots.sort((a, b) => a.start - b.start);
    this.sorted = true;
    return this;
  }

  /** The schedule's slots starting in [from, to). */
  *between(scheduleReference: string, from: number, to: number): Generator<IndexedSlot> {
    const slots = this.bySchedule.get(scheduleReference) ?? [];
    let low = 0;
    let high = slots.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (slots[middle]!.start < from) low = middle + 1;
      else high = middle;
    }
    for (let i = low; i < slots.length && slots[i]!.start < to; i++) yield slots[i]!;
  }

  /** The most common length in minutes of the schedules' free slots (0 when they have none). */
  usualMinutes(scheduleReferences: string[]): number {
    const counts = new Map<number, number>();
    for (const slot of scheduleReferences.flatMap((reference) => this.bySchedule.get(reference) ?? [])) {
      const minutes = Math.round((slot.end - slot.start) / 60_000);
      counts.set(minutes, (counts.get(minutes) ?? 0) + 1);
    }
    return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 0;
  }
}
