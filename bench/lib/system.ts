import { readdirSync, readFileSync } from "node:fs";
import type { BookingClient, Slot } from "@booking-platform/client";
import { type ProcessEntry, parseProcStat, parsePss, processTree, treeSum } from "./stats.js";

/** Every process on this machine, from /proc: pid, parent and resident memory. */
export function snapshotProcesses(): ProcessEntry[] {
  const pageSize = 4096;
  const entries: ProcessEntry[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const entry = parseProcStat(readFileSync(`/proc/${name}/stat`, "utf8"), readFileSync(`/proc/${name}/statm`, "utf8"), pageSize);
      if (entry) entries.push(entry);
    } catch {
      // The process ended between listing and reading: it has no memory to count.
    }
  }
  return entries;
}

/** Resident memory of each named process with its children (DynamoDB Local's JVM under its pid), and the sum. */
export function residentMemory(pids: Record<string, number>) {
  return treeSum(snapshotProcesses(), pids, "rssBytes");
}

/**
 * Proportional resident memory (PSS) of each named process with its children, and the sum: what the
 * processes hold together, each shared page (the node binary mapped by every Node process) counted
 * once in all. A process whose smaps_rollup cannot be read counts its RSS.
 */
export function proportionalMemory(pids: Record<string, number>, all: ProcessEntry[] = snapshotProcesses()) {
  const byName: Record<string, number> = {};
  let total = 0;
  for (const [name, root] of Object.entries(pids)) {
    byName[name] = processTree(all, root).reduce((sum, entry) => {
      let pss: number | undefined;
      try {
        pss = parsePss(readFileSync(`/proc/${entry.pid}/smaps_rollup`, "utf8"));
      } catch {
        // Ended, or not ours to read: its RSS is the closest figure there is.
      }
      return sum + (pss ?? entry.rssBytes);
    }, 0);
    total += byName[name];
  }
  return { byName, total };
}

/** CPU seconds each named process (children included) used until now. */
export function cpuSeconds(pids: Record<string, number>) {
  const { byName, total } = treeSum(snapshotProcesses(), pids, "cpuTicks");
  const perSecond = 100; // USER_HZ on Linux
  return { byName: Object.fromEntries(Object.entries(byName).map(([name, ticks]) => [name, ticks / perSecond])), total: total / perSecond };
}

/** CPU seconds used per process between two readings. */
export function cpuBetween(before: ReturnType<typeof cpuSeconds>, after: ReturnType<typeof cpuSeconds>) {
  return {
    byName: Object.fromEntries(Object.entries(after.byName).map(([name, seconds]) => [name, seconds - (before.byName[name] ?? 0)])),
    total: after.total - before.total,
  };
}

/** Samples resident memory every interval until stopped; keeps each process's highest figure and the highest sum. */
export function sampleMemory(pids: Record<string, number>, intervalMs = 500) {
  const peak: Record<string, number> = {};
  let peakTotal = 0;
  const take = () => {
    const { byName, total } = residentMemory(pids);
    for (const [name, bytes] of Object.entries(byName)) peak[name] = Math.max(peak[name] ?? 0, bytes);
    peakTotal = Math.max(peakTotal, total);
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { byName: peak, total: peakTotal };
    },
  };
}

/** Every simulator answers its API calls this much later (the simulator kit's fault injection). */
export async function setSimulatorLatency(simulatorUrls: string[], latencyMs: number): Promise<void> {
  await Promise.all(
    simulatorUrls.map(async (url) => {
      const response = await fetch(`${url}/__admin/faults`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(latencyMs > 0 ? { latencyMs } : {}),
      });
      if (!response.ok) throw new Error(`${url}/__admin/faults answered ${response.status}`);
    }),
  );
}

/** A weekday (Monday–Friday) `daysAhead` or more days from today, as a calendar date. */
export function weekdayFrom(daysAhead: number, today = new Date()): string {
  const date = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + daysAhead));
  while (date.getUTCDay() === 0 || date.getUTCDay() === 6) date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

export const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** Free slots of a treatment from `fromDate` on, window by window and page by page, until there are `count`. */
export async function collectSlots(client: BookingClient, treatment: string, fromDate: string, count: number): Promise<Slot[]> {
  const slots: Slot[] = [];
  const seen = new Set<string>();
  for (let from = fromDate; slots.length < count; from = addDays(from, 31)) {
    let pageToken: string | undefined;
    do {
      const { data, error } = await client.GET("/v1/availability", {
        params: { query: { treatment, from, to: addDays(from, 30), pageSize: 100, ...(pageToken ? { pageToken } : {}) } },
      });
      if (!data) throw new Error(`searching ${treatment} from ${from}: ${JSON.stringify(error)}`);
      for (const slot of data.items) {
        // One slot per provider slot: the same time may be listed again on a later page only if the provider lists it twice.
        const key = `${slot.providerInstanceId}|${slot.clinicId}|${slot.start}|${slot.practitionerName}`;
        if (seen.has(key)) continue;
        seen.add(key);
        slots.push(slot);
      }
      pageToken = data.nextPageToken;
    } while (pageToken && slots.length < count);
  }
  return slots.slice(0, count);
}

/**
 * Registers Klinikbokning instances bench-kb-01 … at the Klinikbokning simulator, as an operator would
 * through the admin API (register, sync), without mapping them yet: a mapped instance is searched.
 */
export async function registerBenchInstances(admin: BookingClient, simulatorUrl: string, ids: string[]): Promise<void> {
  const batch = 10;
  for (let at = 0; at < ids.length; at += batch) {
    await Promise.all(
      ids.slice(at, at + batch).map(async (id) => {
        const registered = await admin.POST("/v1/admin/instances", {
          body: {
            id,
            adapter: "klinikbokning",
            baseUrl: simulatorUrl,
            credentials: { env: "KLINIKBOKNING_DEMO_API_KEY" },
            timeZone: "Europe/Stockholm",
            displayName: `Bench chain ${id}`,
          },
        });
        if (registered.response.status !== 201) throw new Error(`registering ${id}: ${JSON.stringify(registered.error)}`);
        const sync = await admin.POST("/v1/admin/syncs", { body: { instanceId: id } });
        const syncId = sync.data?.items[0]?.id;
        if (!syncId) throw new Error(`syncing ${id}: ${JSON.stringify(sync.error)}`);
        for (const until = Date.now() + 60_000; ; ) {
          const { data } = await admin.GET("/v1/admin/syncs/{syncId}", { params: { path: { syncId } } });
          if (data && data.state !== "running") {
            if (data.state !== "succeeded") throw new Error(`sync of ${id} ended ${data.state}: ${data.errors.join("; ")}`);
            break;
          }
          if (Date.now() > until) throw new Error(`sync of ${id} still running after 60 s`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }),
    );
  }
}

/** Maps one bench instance's Odenplan clinic (a new Vården clinic of its own) and its check-up to the bench's treatment. */
export async function mapBenchInstance(admin: BookingClient, id: string, treatmentId: string): Promise<void> {
  const mapped = await admin.POST("/v1/admin/instances/{instanceId}/mappings", {
    params: { path: { instanceId: id } },
    body: {
      clinics: [{ providerClinicCode: "KB-STH-ODEN", vaardenClinicId: `${id}-odenplan`, createClinic: true }],
      treatments: [{ providerTreatmentCode: "UND30", vaardenTreatmentId: treatmentId }],
    },
  });
  if (!mapped.data) throw new Error(`mapping ${id}: ${JSON.stringify(mapped.error)}`);
}
