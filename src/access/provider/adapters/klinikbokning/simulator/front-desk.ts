import { frontDeskApiKey } from "./klinikbokning-simulator.js";

/**
 * The clinic's front desk booking a slot at Klinikbokning, as another API
 * client of the same server: its own API key, its own reference. How the
 * conformance kit books "elsewhere", to see that we and the front desk never
 * both get one slot.
 */
export async function bookAtFrontDesk(
  simulatorUrl: string,
  booking: { providerSlotId: string; reference: string },
): Promise<"booked" | "refused"> {
  const response = await fetch(`${simulatorUrl}/api/v2/bookings`, {
    method: "POST",
    headers: { "x-api-key": frontDeskApiKey, "content-type": "application/json" },
    body: JSON.stringify({
      timeslotId: booking.providerSlotId,
      externalReference: booking.reference,
      patient: { name: "Front Desk Patient", phone: "0700000000" },
    }),
  });
  if (response.status === 201) return "booked";
  if (response.status === 409) return "refused";
  throw new Error(`the front desk's booking was answered HTTP ${response.status}: ${await response.text()}`);
}
