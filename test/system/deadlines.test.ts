import { afterEach, describe, expect, inject, it } from "vitest";

const system = inject("system");
const paused = new Set<number>();

function pause(name: string) {
  const pid = system.pids[name];
  if (!pid) throw new Error(`no process ${name}`);
  process.kill(pid, "SIGSTOP");
  paused.add(pid);
}

async function timed(path: string) {
  const started = performance.now();
  const response = await fetch(`${system.apiUrl}${path}`, { headers: { authorization: `Bearer ${system.apiKey}` } });
  return { response, ms: performance.now() - started, body: (await response.json()) as { code?: string } };
}

/**
 * Every request has a deadline that travels through every hop: a service or a
 * database that stops answering (paused with SIGSTOP, as a stuck JVM or a GC
 * storm would) costs the caller the deadline and a 504 problem, never a hang.
 */
describe("a stuck part of the platform", () => {
  afterEach(() => {
    for (const pid of paused) process.kill(pid, "SIGCONT");
    paused.clear();
  });

  it.each([
    ["the booking manager", "booking-manager", "/v1/treatments"],
    ["catalog access", "catalog-access", "/v1/treatments"],
    ["DynamoDB", "dynamodb-local", "/v1/reservations/res_nobody"],
  ])("(%s) costs the caller its deadline and a 504, not a hang", async (_what, name, path) => {
    expect((await timed(path)).response.status).toBeLessThan(500);
    pause(name);
    const { response, ms, body } = await timed(path);
    expect(response.status).toBe(504);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(body.code).toBe("timeout");
    expect(ms).toBeGreaterThan(system.requestDeadlineMs * 0.8);
    expect(ms).toBeLessThan(system.requestDeadlineMs + 1500);
  });

  it("is answered normally again once it resumes", async () => {
    pause("catalog-access");
    for (const pid of paused) process.kill(pid, "SIGCONT");
    paused.clear();
    expect((await timed("/v1/treatments")).response.status).toBe(200);
  });
});
