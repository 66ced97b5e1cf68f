/**
 * `npm run bench`: speed and memory of the two hot paths, all services in one
 * process (in-memory gRPC), against DynamoDB Local and the simulators on this
 * machine. Figures and their ratio to the targets are printed; nothing fails
 * on them, because shared machines are noisy. Compare runs on one machine.
 */
import type { Slot } from "@booking-platform/client";
import { startDemoInMemory } from "../src/host/demo-in-memory.js";
import { startDynamoDbLocal } from "../src/utilities/dynamodb/dynamodb-local.js";

const targets = { searchP95Ms: 250, reservationP95Ms: 400, searchesPerSecond: 50 };
const concurrency = 8;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(label: string, count: number, run: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        await run(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const figures = {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    perSecond: count / seconds,
  };
  console.log(
    `${label.padEnd(28)} n=${count} concurrency=${concurrency}  p50 ${figures.p50.toFixed(1)} ms  p95 ${figures.p95.toFixed(1)} ms  p99 ${figures.p99.toFixed(1)} ms  ${figures.perSecond.toFixed(1)}/s`,
  );
  return figures;
}

const db = await startDynamoDbLocal();
const demo = await startDemoInMemory(db.endpoint);
const rssBefore = process.memoryUsage().rss;
try {
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  // Warm-up: JIT, connections, the SMART feed's cache.
  for (let i = 0; i < 10; i++)
    await demo.client.GET("/v1/availability", { params: { query: { treatment: "dental-checkup", from: day(14), to: day(14) } } });

  const search = await measure("availability search", 300, async (i) => {
    const { response } = await demo.client.GET("/v1/availability", {
      params: { query: { treatment: "dental-checkup", from: day(14 + (i % 20)), to: day(14 + (i % 20)), pageSize: 20 } },
    });
    if (response.status !== 200) throw new Error(`search answered ${response.status}`);
  });

  // One free slot per reservation, found before timing.
  const slots: Slot[] = [];
  for (let offset = 30; slots.length < 120; offset++) {
    const { data } = await demo.client.GET("/v1/availability", {
      params: { query: { treatment: "dental-hygiene", from: day(offset), to: day(offset), pageSize: 100 } },
    });
    slots.push(...data!.items);
  }
  const reserve = await measure("reservation (hold)", 120, async (i) => {
    const slot = slots[i]!;
    const { response } = await demo.client.POST("/v1/reservations", {
      params: { header: { "idempotency-key": `bench-${Date.now()}-${i}` } },
      body: {
        slotId: slot.slotId,
        treatmentId: slot.treatmentId,
        patient: { name: "Bench Patient", dateOfBirth: "1990-01-01", phone: "0700000000", email: `bench${i}@example.se` },
      },
    });
    if (response.status !== 201) throw new Error(`reservation answered ${response.status}`);
  });

  const rssAfter = process.memoryUsage().rss;
  console.log(
    `\nmemory: RSS ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, ${(rssAfter / 2 ** 20).toFixed(0)} MiB after (all services in one process)`,
  );
  console.log("\nagainst targets (ratio > 1 = better than the target):");
  console.log(
    `  search p95        ${search.p95.toFixed(1)} ms vs ${targets.searchP95Ms} ms  ratio ${(targets.searchP95Ms / search.p95).toFixed(2)}`,
  );
  console.log(
    `  search throughput ${search.perSecond.toFixed(1)}/s vs ${targets.searchesPerSecond}/s  ratio ${(search.perSecond / targets.searchesPerSecond).toFixed(2)}`,
  );
  console.log(
    `  reservation p95   ${reserve.p95.toFixed(1)} ms vs ${targets.reservationP95Ms} ms  ratio ${(targets.reservationP95Ms / reserve.p95).toFixed(2)}`,
  );
} finally {
  await demo.close();
  await db.stop();
}
