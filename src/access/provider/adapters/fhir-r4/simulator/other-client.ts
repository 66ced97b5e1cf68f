import type { Appointment, Bundle, Slot } from "@medplum/fhirtypes";

/**
 * Another client of the same FHIR server (the clinic's front desk, another
 * marketplace) booking a slot the way a well-behaved client does: on a plain
 * server it claims the Slot with a versioned update to busy and then creates
 * its Appointment; where the server offers the IHE operations it holds and
 * books the proposed Appointment. Its identifier is in its own system. How
 * the conformance kit books "elsewhere".
 */
export async function bookAsAnotherClient(
  baseUrl: string,
  token: string,
  operations: "none" | "ihe",
  booking: { providerSlotId: string; reference: string },
): Promise<"booked" | "refused"> {
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${baseUrl}/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/fhir+json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const identifier = [{ system: "https://front-desk.example/booking", value: booking.reference }];
  const participant = [{ actor: { display: "Front Desk Patient" }, status: "accepted" as const }];

  if (operations === "ihe") {
    const held = await call("POST", "Appointment/$hold", {
      resourceType: "Parameters",
      parameter: [{ name: "appointment-reference", valueReference: { reference: `Appointment/${booking.providerSlotId}` } }],
    });
    if (held.status !== 200) return "refused";
    const pending = ((await held.json()) as Bundle).entry?.[0]?.resource as Appointment;
    const booked = await call("POST", "Appointment/$book", {
      resourceType: "Parameters",
      parameter: [
        { name: "appointment-resource", resource: { ...pending, identifier, participant: [...pending.participant, ...participant] } },
      ],
    });
    const answer = ((await booked.json()) as Bundle).entry?.[0]?.resource;
    return answer?.resourceType === "Appointment" && answer.status === "booked" ? "booked" : "refused";
  }

  const read = await call("GET", `Slot/${booking.providerSlotId}`);
  if (read.status !== 200) return "refused";
  const slot = (await read.json()) as Slot;
  if (slot.status !== "free") return "refused";
  const claimed = await call("PUT", `Slot/${slot.id}`, { ...slot, status: "busy" }, { "if-match": `W/"${slot.meta?.versionId}"` });
  if (claimed.status === 412) return "refused";
  if (claimed.status !== 200) throw new Error(`the other client's claim was answered HTTP ${claimed.status}`);
  const created = await call("POST", "Appointment", {
    resourceType: "Appointment",
    status: "booked",
    slot: [{ reference: `Slot/${slot.id}` }],
    identifier,
    participant,
  });
  if (created.status !== 201) throw new Error(`the other client's Appointment was answered HTTP ${created.status}`);
  return "booked";
}
