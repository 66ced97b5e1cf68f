import { randomUUID } from "node:crypto";
import type { Appointment, BundleEntry, Slot } from "@medplum/fhirtypes";
import type { BookingPatient, OpenSlot, ProviderBookingState, SlotQuery } from "../../adapter.js";
import { ProviderError } from "../../provider-error.js";
import { conflict, type FhirClient, type Versioned } from "./fhir-client.js";
import { isOurs, ourIdentifier, practitionerOf, readTimes, toBookingState } from "./fhir-mapping.js";
import { findSchedules } from "./find-schedules.js";
import type { ServerFeatures } from "./server-features.js";

/** How many times a cancel re-reads and tries again when someone else changed the Appointment or Slot meanwhile. */
const cancelAttempts = 3;

/**
 * Scheduling on a plain FHIR server, which has no scheduling rules: it lets
 * anyone create an Appointment for any Slot and never marks a Slot busy. So
 * the Slot is the lock. Booking claims it with a versioned update to `busy`
 * (If-Match on the version we read free): of two bookers who read the same
 * version, the server lets exactly one write it (412 for the other, which is
 * `slot-unavailable`). Where the server takes transactions, the claim and the
 * Appointment go in one transaction Bundle, all or nothing; elsewhere the
 * claim comes first and is released again if the Appointment is refused.
 * Cancelling sets the Appointment `cancelled` and frees the Slot, versioned
 * the same way. Every booker must claim for this to hold: a client that
 * creates Appointments without claiming (as this adapter once did) can still
 * double-book, and no client can prevent that.
 */
export function slotClaims(
  client: FhirClient,
  providerInstanceId: string,
  features: () => ServerFeatures,
  serverHoldSeconds: number | undefined,
) {
  const taken = (detail: string) => new ProviderError(providerInstanceId, "slot-unavailable", detail);

  return {
    async findOpenSlots(query: SlotQuery, signal: AbortSignal): Promise<OpenSlot[]> {
      const { schedules, names } = await findSchedules(client, query.clinicCode, query.treatmentCode, signal);
      if (!schedules.length) return [];
      const practitioners = new Map(schedules.map((s) => [`Schedule/${s.id}`, practitionerOf(s.actor)]));
      const { matches } = await client.search<Slot>(
        "Slot",
        [
          ["schedule", [...practitioners.keys()].join(",")],
          ["start", `ge${query.window.start.toISOString()}`],
          ["start", `lt${query.window.end.toISOString()}`],
          ["status", "free"],
          ["_count", "100"],
        ],
        signal,
      );
      const open: OpenSlot[] = [];
      for (const slot of matches) {
        if (typeof slot.id !== "string") throw client.fail("a Slot without an id");
        const { start, end } = readTimes(`Slot/${slot.id}`, slot.start, slot.end, client.fail);
        // The server filters, but what it answers is checked: it may ignore a parameter it does not know.
        if (slot.status !== "free" || !practitioners.has(slot.schedule?.reference ?? "")) continue;
        if (start < query.window.start || start >= query.window.end) continue;
        const practitioner = practitioners.get(slot.schedule.reference!);
        open.push({
          providerSlotId: slot.id,
          start,
          end,
          practitionerCode: practitioner?.reference?.slice("Practitioner/".length) ?? "",
          practitionerName: names.get(practitioner?.reference ?? "") ?? practitioner?.display ?? "",
        });
      }
      return open.sort((a, b) => a.start.getTime() - b.start.getTime() || a.providerSlotId.localeCompare(b.providerSlotId));
    },

    async bookSlot(
      request: { providerSlotId: string; reference: string; patient: BookingPatient; note: string },
      signal: AbortSignal,
    ): Promise<ProviderBookingState> {
      const slot = await readSlot(request.providerSlotId, signal);
      if (slot.status !== "free") throw taken(`Slot/${slot.id} is ${slot.status}`);
      const claimed: Slot & { id: string } = { ...slot, status: "busy" };
      const appointment: Appointment = {
        resourceType: "Appointment",
        status: "booked",
        identifier: [ourIdentifier(request.reference)],
        slot: [{ reference: `Slot/${slot.id}` }],
        serviceType: slot.serviceType,
        start: slot.start,
        end: slot.end,
        created: new Date().toISOString(),
        ...(request.note ? { comment: request.note } : {}),
        participant: [{ actor: { display: request.patient.name }, status: "accepted" }],
      };

      if (features().transactions) {
        const result = await client.transaction(
          [
            { request: { method: "PUT", url: `Slot/${slot.id}`, ifMatch: `W/"${slot.meta.versionId}"` }, resource: claimed },
            { fullUrl: `urn:uuid:${randomUUID()}`, request: { method: "POST", url: "Appointment" }, resource: appointment },
          ],
          signal,
        );
        if (result === conflict) throw taken(`Slot/${slot.id} was claimed by another booker first`);
        const id = idFromLocation(result.entry?.[1]?.response?.location) ?? result.entry?.[1]?.resource?.id;
        if (!id) throw client.fail("the transaction-response does not say where the Appointment is");
        return { providerBookingRef: id, status: "booked" };
      }

      const claim = await client.update(claimed, slot.meta.versionId, signal);
      if (claim === conflict) throw taken(`Slot/${slot.id} was claimed by another booker first`);
      try {
        return toBookingState(await client.create(appointment, signal), client.fail);
      } catch (error) {
        // A refused Appointment leaves our claim on the Slot: release it. An unknown outcome (timeout, 5xx)
        // may have created the Appointment, so the claim stays and the reconciler asks by our reference.
        if (error instanceof ProviderError && (error.kind === "rejected" || error.kind === "not-found")) {
          const released = await client.update({ ...claim, status: "free" }, claim.meta.versionId, signal).catch((e: unknown) => e);
          if (released === conflict || released instanceof Error) {
            throw new ProviderError(providerInstanceId, error.kind, `${error.message}; and Slot/${slot.id} could not be freed again`);
          }
        }
        throw error;
      }
    },

    async cancelBooking(request: { providerBookingRef: string }, signal: AbortSignal): Promise<ProviderBookingState> {
      for (let attempt = 1; attempt <= cancelAttempts; attempt++) {
        const appointment = await client.read<Appointment>("Appointment", request.providerBookingRef, signal);
        if (appointment.status === "cancelled") return toBookingState(appointment, client.fail);
        const slots = await Promise.all(
          (appointment.slot ?? [])
            .map((ref) => ref.reference?.match(/^Slot\/(.+)$/)?.[1])
            .filter((id): id is string => id !== undefined)
            .map((id) => readSlot(id, signal).catch(gone)),
        );
        // Only a slot our booking holds is ours to free: a free one needs nothing, another status is not ours to change.
        const held = slots.filter((s): s is Versioned<Slot> => s !== undefined && (s.status === "busy" || s.status === "busy-tentative"));
        const cancelled: Appointment & { id: string } = { ...appointment, status: "cancelled" };
        if (features().transactions) {
          const result = await client.transaction(
            [
              {
                request: { method: "PUT", url: `Appointment/${appointment.id}`, ifMatch: `W/"${appointment.meta.versionId}"` },
                resource: cancelled,
              },
              ...held.map(
                (slot): BundleEntry => ({
                  request: { method: "PUT", url: `Slot/${slot.id}`, ifMatch: `W/"${slot.meta.versionId}"` },
                  resource: { ...slot, status: "free" },
                }),
              ),
            ],
            signal,
          );
          if (result === conflict) continue;
          return { providerBookingRef: appointment.id, status: "cancelled" };
        }
        if ((await client.update(cancelled, appointment.meta.versionId, signal)) === conflict) continue;
        for (const slot of held) await freeSlot(slot, signal);
        return { providerBookingRef: appointment.id, status: "cancelled" };
      }
      throw new ProviderError(
        providerInstanceId,
        "unavailable",
        `Appointment/${request.providerBookingRef} or its Slot changed under us ${cancelAttempts} times; try again`,
      );
    },

    async findBooking(reference: string, signal: AbortSignal): Promise<ProviderBookingState | undefined> {
      const { matches } = await client.search<Appointment>(
        "Appointment",
        [["identifier", `${ourIdentifier(reference).system}|${reference}`]],
        signal,
      );
      // Only an Appointment carrying our identifier is ours, whatever else the server answers to the search.
      return matches
        .filter((a) => isOurs(a, reference))
        .map((a) => toBookingState(a, client.fail, a.status === "pending" ? holdLapses(a) : undefined))
        .find((state) => state.status !== "cancelled");
    },
  };

  /**
   * When a hold found again lapses: its Appointment's `created` plus the server's hold length. Where
   * either is unknown it is taken as lapsed already, so the platform releases it rather than trusting
   * a hold that may be gone (releasing one that is not costs only a cancel).
   */
  function holdLapses(appointment: Appointment): Date {
    const created = appointment.created ? Date.parse(appointment.created) : Number.NaN;
    return Number.isNaN(created) || serverHoldSeconds === undefined ? new Date() : new Date(created + serverHoldSeconds * 1000);
  }

  /** A Slot the server no longer has cannot be booked: that is an answer about the slot, not a fault. */
  async function readSlot(id: string, signal: AbortSignal): Promise<Versioned<Slot>> {
    try {
      return await client.read<Slot>("Slot", id, signal);
    } catch (error) {
      if (error instanceof ProviderError && error.kind === "not-found") throw taken(`Slot/${id} is not known (any more)`);
      throw error;
    }
  }

  /** Frees a Slot after its Appointment was cancelled without a transaction, re-reading when someone changed it meanwhile. */
  async function freeSlot(slot: Versioned<Slot>, signal: AbortSignal): Promise<void> {
    let current = slot;
    for (let attempt = 1; attempt <= cancelAttempts; attempt++) {
      if (current.status !== "busy" && current.status !== "busy-tentative") return;
      if ((await client.update({ ...current, status: "free" }, current.meta.versionId, signal)) !== conflict) return;
      current = await client.read<Slot>("Slot", slot.id, signal);
    }
    throw new ProviderError(
      providerInstanceId,
      "unavailable",
      `Slot/${slot.id} kept changing; its Appointment is cancelled but it is still busy`,
    );
  }
}

/** A Slot that is gone needs no freeing. */
function gone(error: unknown): undefined {
  if (error instanceof ProviderError && error.kind === "slot-unavailable") return undefined;
  throw error;
}

function idFromLocation(location: string | undefined): string | undefined {
  return location?.match(/Appointment\/([^/]+)/)?.[1];
}
