import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type BookingClient, createBookingClient, type Slot } from "@booking-platform/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSystem, startSystem } from "../../src/host/system-runner.js";
import { systemTestPortOffset } from "./support/port-offset.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const patient = { name: "Cecilia Crash", personalIdentityNumber: "19800101-1231", phone: "0701112233", email: "cecilia@example.se" };

/**
 * Nothing is lost when a process dies: its own system (on disk, in a temp
 * folder) so that it can kill the booking manager mid-reservation and restart
 * everything.
 */
describe("a crash in the middle of a reservation", () => {
  const databasePath = mkdtempSync(path.join(tmpdir(), "bp-crash-db-"));
  const portOffset = systemTestPortOffset(12_000);
  let system: RunningSystem;
  let client: BookingClient;
  let simulator: string;
  const start = async () => {
    system = await startSystem({
      root,
      portOffset,
      databasePath,
      output: () => {},
      env: {
        BP_RECONCILE_INTERVAL_MS: "500",
        BP_RECONCILE_MIN_AGE_SECONDS: "4",
        LOG_LEVEL: "warn",
        // Beside the database: the restarted system must read what the first one encrypted.
        BP_PATIENT_DATA_KEY_FILE: path.join(databasePath, "patient-data.key"),
      },
    });
    client = createBookingClient({ baseUrl: system.apiUrl, headers: { authorization: `Bearer ${system.developmentApiKey}` } });
    simulator = system.urls["klinikbokning-simulator"]!;
  };

  beforeAll(start);
  afterAll(async () => {
    await system?.stop();
    rmSync(databasePath, { recursive: true, force: true });
  });

  async function firstSlot(): Promise<Slot> {
    const date = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
    const { data } = await client.GET("/v1/availability", {
      params: { query: { treatment: "dental-hygiene", clinic: ["odenplan-clinic"], from: date, to: date, pageSize: 1 } },
    });
    return data!.items[0]!;
  }

  async function bookingsAtProviderFor(slot: Slot) {
    const providerSlotId = JSON.parse(Buffer.from(slot.slotId.split(".")[0]!, "base64url").toString())[1] as string;
    const response = await fetch(`${simulator}/api/v2/bookings?pageSize=200`, { headers: { "x-api-key": "demo-key" } });
    const { data } = (await response.json()) as { data: Array<{ timeslotId: string; externalReference: string; status: string }> };
    return data.filter((b) => b.timeslotId === providerSlotId && b.status !== "CANCELLED");
  }

  let reservationId = "";
  const idempotencyKey = `crash-${Date.now()}`;

  it("ends up held, never lost or doubled, when the booking manager dies after the provider took the hold", async () => {
    const slot = await firstSlot();
    // The provider takes 2 s to answer; the manager is killed while waiting.
    await fetch(`${simulator}/__admin/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ latencyMs: 2000, pathPrefix: "/api/v2/holds" }),
    });
    const attempt = client.POST("/v1/reservations", {
      params: { header: { "idempotency-key": idempotencyKey } },
      body: { slotId: slot.slotId, treatmentId: slot.treatmentId, patient },
    });
    await new Promise((resolve) => setTimeout(resolve, 700));
    await system.kill("booking-manager");
    const answer = await attempt;
    expect(answer.response.status).toBe(503);
    await system.restart("booking-manager");
    await fetch(`${simulator}/__admin/faults`, { method: "DELETE" });

    // The provider did take the hold; the reconciler finds it under our reservation id.
    let atProvider: Awaited<ReturnType<typeof bookingsAtProviderFor>> = [];
    let status = "";
    for (let i = 0; i < 60 && status !== "held"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      atProvider = await bookingsAtProviderFor(slot);
      if (atProvider.length === 1) {
        reservationId = atProvider[0]!.externalReference;
        const { data } = await client.GET("/v1/reservations/{reservationId}", { params: { path: { reservationId } } });
        status = data?.status ?? "";
      }
    }
    expect(atProvider).toHaveLength(1);
    expect(status).toBe("held");

    // The patient's app retries with the same key and gets that reservation, not a second one.
    const retry = await client.POST("/v1/reservations", {
      params: { header: { "idempotency-key": idempotencyKey } },
      body: { slotId: slot.slotId, treatmentId: slot.treatmentId, patient },
    });
    expect(retry.response.status).toBe(201);
    expect(retry.data?.id).toBe(reservationId);
    expect(await bookingsAtProviderFor(slot)).toHaveLength(1);
  });

  it("still has the reservation after the whole system restarts", async () => {
    expect(reservationId).not.toBe("");
    await system.stop();
    await start();
    const { data } = await client.GET("/v1/reservations/{reservationId}", { params: { path: { reservationId } } });
    expect(data?.status).toBe("held");
  });
});
