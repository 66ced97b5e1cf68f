import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type BookingClient, createBookingClient, type Slot } from "@booking-platform/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSystem, startSystem } from "../../src/host/system-runner.js";
import { systemTestPortOffset } from "./support/port-offset.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const patient = { name: "Lena Late", personalIdentityNumber: "19800101-1231", phone: "0701112233", email: "lena@example.se" };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A provider that answers after our deadline, and acts anyway: the hold we
 * gave up on appears at the provider seconds after we released the slot.
 * The reconciler, which verifies every release at the provider again, must
 * cancel that orphan there, so that no patient's data stays in a booking
 * nobody will come to, and the slot is offered again.
 *
 * Its own system: the reconciler runs every half second with short grace
 * periods, which the shared system must not have.
 */
describe("a provider that answers after our deadline", () => {
  const databasePath = mkdtempSync(path.join(tmpdir(), "bp-late-db-"));
  let system: RunningSystem;
  let client: BookingClient;
  let simulator: string;

  beforeAll(async () => {
    system = await startSystem({
      root,
      portOffset: systemTestPortOffset(16_000),
      databasePath,
      output: () => {},
      env: {
        LOG_LEVEL: "warn",
        BP_RECONCILE_INTERVAL_MS: "500",
        BP_RECONCILE_MIN_AGE_SECONDS: "1",
        BP_RECONCILE_MARGIN_SECONDS: "1",
        BP_RECONCILE_RECHECK_SECONDS: "2",
      },
    });
    client = createBookingClient({ baseUrl: system.apiUrl, headers: { authorization: `Bearer ${system.developmentApiKey}` } });
    simulator = system.urls["klinikbokning-simulator"]!;
  });
  afterAll(async () => {
    // The faults are cleared in the test; this is only for a test that failed before it did.
    await fetch(`${simulator}/__admin/faults`, { method: "DELETE" }).catch((error: Error) =>
      console.warn(`clearing faults: ${error.message}`),
    );
    await system?.stop();
    rmSync(databasePath, { recursive: true, force: true });
  });

  const date = new Date(Date.now() + 21 * 86_400_000).toISOString().slice(0, 10);
  async function offered(): Promise<Slot[]> {
    const { data } = await client.GET("/v1/availability", {
      params: { query: { treatment: "dental-hygiene", clinic: ["odenplan-clinic"], from: date, to: date, pageSize: 100 } },
    });
    return data!.items;
  }
  const slotNamed = (slot: Slot) => {
    const [instance, providerSlotId] = JSON.parse(Buffer.from(slot.slotId.split(".")[0]!, "base64url").toString()) as string[];
    return `${instance}/${providerSlotId}`;
  };
  const holdsReceived = async () =>
    ((await (await fetch(`${simulator}/__admin/calls`)).json()) as Record<string, number>)["POST /api/v2/holds"] ?? 0;
  async function liveBookingsAtProvider(reference: string) {
    const response = await fetch(`${simulator}/api/v2/bookings?pageSize=200`, { headers: { "x-api-key": "demo-key" } });
    const { data } = (await response.json()) as { data: Array<{ externalReference: string; status: string }> };
    return data.filter((b) => b.externalReference === reference && b.status !== "CANCELLED");
  }

  it("cancels the hold the provider made after we released the slot, and offers the slot again", async () => {
    const slot = (await offered())[0]!;
    const holdsBefore = await holdsReceived();
    // The provider takes 8 s for this one hold (past our 3 s deadline), then takes it anyway.
    await fetch(`${simulator}/__admin/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ latencyMs: 8000, pathPrefix: "/api/v2/holds" }),
    });
    const attempt = client.POST("/v1/reservations", {
      params: { header: { "idempotency-key": `late-${Date.now()}` } },
      body: { slotId: slot.slotId, treatmentId: slot.treatmentId, patient },
    });
    // Only the hold already on its way is slow; the reconciler's own calls are answered at once. So the fault is
    // lifted once the simulator has the hold (it counts the calls it gets), however long a busy machine takes to send it.
    for (let i = 0; i < 100 && (await holdsReceived()) === holdsBefore; i++) await sleep(50);
    await fetch(`${simulator}/__admin/faults`, { method: "DELETE" });
    const answer = await attempt;
    expect(answer.response.status).toBe(202);
    const reservationId = answer.data!.id;

    // Past the provider's deadline plus the margin, with nothing at the provider: released, slot offered again.
    let status = "";
    for (let i = 0; i < 40 && status !== "released"; i++) {
      await sleep(250);
      const { data } = await client.GET("/v1/reservations/{reservationId}", { params: { path: { reservationId } } });
      status = data?.status ?? "";
    }
    expect(status).toBe("released");

    // Then the late hold lands at the provider (8 s after it was asked for) ...
    let orphans = await liveBookingsAtProvider(reservationId);
    for (let i = 0; i < 40 && orphans.length === 0; i++) {
      await sleep(250);
      orphans = await liveBookingsAtProvider(reservationId);
    }
    expect(orphans).toHaveLength(1);

    // ... and the release's verification cancels it there.
    for (let i = 0; i < 60 && orphans.length > 0; i++) {
      await sleep(250);
      orphans = await liveBookingsAtProvider(reservationId);
    }
    expect(orphans).toEqual([]);
    // (A slot id carries an expiry, so the same slot found again is known by the provider's id for it.)
    expect((await offered()).map(slotNamed)).toContain(slotNamed(slot));

    // The client's change feed told it the reservation was released.
    const feed = await client.GET("/v1/reservations/changes", { params: { query: {} } });
    expect(feed.data!.items.filter((c) => c.reservationId === reservationId).map((c) => c.status)).toContain("released");
  }, 60_000);
});
