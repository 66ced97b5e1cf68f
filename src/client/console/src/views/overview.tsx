import type { Health, Instance } from "@booking-platform/client";
import { call, problemFrom, type ShownProblem } from "../api.js";
import { CircuitBadge, StateBadge } from "../components/badges.js";
import { HourChart } from "../components/hour-chart.js";
import { PageHeading } from "../components/page-heading.js";
import { ProblemView } from "../components/problem-view.js";
import { ago, formatTimeSeconds, ms, percent } from "../format.js";
import { useLoad } from "../hooks.js";
import { useSession } from "../session.js";

/** How often the overview asks again: two requests a round (the instances, and every instance's health), whatever their number. */
export const refreshMs = 5000;

export interface Row {
  instance: Instance;
  health?: Health;
  problem?: ShownProblem;
}

/** Failing: the circuit is not closed, calls fail (5 % or more lately), or the last sync did not succeed. */
export function failing(row: Row): string[] {
  const reasons: string[] = [];
  const h = row.health;
  if (row.problem) reasons.push("health unknown");
  if (!h) return reasons;
  if (h.circuitState !== "closed") reasons.push(`circuit ${h.circuitState}`);
  if (h.calls > 0 && h.errorRate >= 0.05) reasons.push(`${percent(h.errorRate)} of calls fail`);
  if (h.lastSync && (h.lastSync.state === "failed" || h.lastSync.state === "interrupted")) reasons.push(`last sync ${h.lastSync.state}`);
  return reasons;
}

/** Not a failure, something to do: an instance whose catalog was never synced (seeded instances start so). */
export const neverSynced = (row: Row) => row.health !== undefined && !row.health.lastSuccessfulSync && !row.health.lastSync;

export async function loadRows(client: ReturnType<typeof useSession>["client"]): Promise<Row[]> {
  const [{ items }, health] = await Promise.all([
    call(client.GET("/v1/admin/instances")),
    call(client.GET("/v1/admin/health")).then(
      (answer) => ({ byId: new Map(answer.items.map((h) => [h.instanceId, h])) }),
      (error: unknown) => ({ problem: problemFrom(error) }),
    ),
  ]);
  return items.map((instance): Row => {
    if (instance.state === "retired") return { instance };
    if ("problem" in health) return { instance, problem: health.problem };
    return { instance, health: health.byId.get(instance.id) };
  });
}

/** Every provider instance at a glance, worst first, refreshed every few seconds. */
export function Overview() {
  const { client } = useSession();
  const rows = useLoad(() => loadRows(client), [client], refreshMs);
  const all = rows.data ?? [];
  const live = all.filter((r) => r.instance.state !== "retired");
  const retired = all.filter((r) => r.instance.state === "retired");
  const withCalls = live.filter((r) => r.instance.state === "active" && r.health && r.health.calls > 0);
  const slowest = withCalls.reduce<Row | undefined>(
    (worst, r) => (!worst || r.health!.latencyMs.p95 > worst.health!.latencyMs.p95 ? r : worst),
    undefined,
  );
  const attention = live.filter((r) => failing(r).length > 0);
  const sorted = [...live].sort(
    (a, b) =>
      Number(failing(b).length > 0) - Number(failing(a).length > 0) ||
      Number(a.instance.state !== "active") - Number(b.instance.state !== "active") ||
      (b.health?.latencyMs.p95 ?? 0) - (a.health?.latencyMs.p95 ?? 0) ||
      a.instance.id.localeCompare(b.instance.id),
  );

  return (
    <>
      <div class="page-head">
        <PageHeading>Providers</PageHeading>
        <span class="updated">
          {rows.updatedAt ? `Updated ${formatTimeSeconds(rows.updatedAt)}, every ${refreshMs / 1000} s` : "Loading…"}
        </span>
      </div>
      {rows.problem ? <ProblemView problem={rows.problem} context="The providers could not be read" /> : null}
      {rows.data ? (
        <p class="summary-line" role="status">
          <span>
            <strong>{live.length}</strong> instances in service ({live.filter((r) => r.instance.state === "active").length} active,{" "}
            {live.filter((r) => r.instance.state === "paused").length} paused), {retired.length} retired.
          </span>{" "}
          <span>
            <strong>{attention.length}</strong> {attention.length === 1 ? "needs" : "need"} attention.
          </span>{" "}
          {slowest ? (
            <span>
              Slowest: <strong>{slowest.instance.displayName ?? slowest.instance.id}</strong>, p95 {ms(slowest.health!.latencyMs.p95)}
            </span>
          ) : null}
        </p>
      ) : null}
      {rows.data && live.length === 0 ? (
        <p>
          No provider instance is in service yet. <a href="#/onboard">Onboard one</a>.
        </p>
      ) : null}
      <ul class="cards" aria-label="Provider instances, those needing attention first">
        {sorted.map((row) => (
          <InstanceCard key={row.instance.id} row={row} slowest={row === slowest && withCalls.length > 1} />
        ))}
      </ul>
      {retired.length > 0 ? (
        <details>
          <summary>Retired instances ({retired.length})</summary>
          <ul>
            {retired.map((r) => (
              <li key={r.instance.id}>
                <a href={`#/instances/${encodeURIComponent(r.instance.id)}`}>{r.instance.displayName ?? r.instance.id}</a>{" "}
                <span class="muted">
                  ({r.instance.adapter}, retired {ago(r.instance.updatedAt)}
                  {r.instance.stateReason ? `: ${r.instance.stateReason}` : ""})
                </span>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </>
  );
}

function InstanceCard({ row, slowest }: { row: Row; slowest: boolean }) {
  const { instance, health } = row;
  const reasons = failing(row);
  const attention =
    reasons.length > 0 ? "attention-failing" : slowest ? "attention-slow" : instance.state !== "active" ? "state-paused-card" : "";
  const headingId = `card-${instance.id}`;
  return (
    <li class={`card ${attention}`} aria-labelledby={headingId}>
      <div class="card-head">
        <div>
          <h2 id={headingId}>
            <a href={`#/instances/${encodeURIComponent(instance.id)}`}>{instance.displayName ?? instance.id}</a>
          </h2>
          <p class="sub">
            {instance.id} · {instance.adapter}
          </p>
        </div>
        <StateBadge state={instance.state} />
      </div>
      {reasons.length > 0 || slowest || neverSynced(row) ? (
        <div class="flags">
          {reasons.length > 0 ? <span class="flag failing">Failing: {reasons.join(", ")}</span> : null}
          {slowest ? <span class="flag slow">Slowest p95</span> : null}
          {neverSynced(row) ? <span class="flag todo">Not synced yet</span> : null}
        </div>
      ) : null}
      {row.problem ? <ProblemView problem={row.problem} context="Health" /> : null}
      {health ? (
        <>
          <dl class="figures">
            <div>
              <dt>p50 / p95</dt>
              <dd>{health.calls > 0 ? `${ms(health.latencyMs.p50)} / ${ms(health.latencyMs.p95)}` : "no calls"}</dd>
            </div>
            <div>
              <dt>Errors ({Math.round(health.windowSeconds / 60)} min)</dt>
              <dd class={health.failures > 0 ? "bad" : ""}>{percent(health.errorRate)}</dd>
            </div>
            <div>
              <dt>Circuit</dt>
              <dd>
                <CircuitBadge circuit={health.circuitState} />
              </dd>
            </div>
            <div>
              <dt>Calls ({Math.round(health.windowSeconds / 60)} min)</dt>
              <dd>{health.calls}</dd>
            </div>
            <div>
              <dt>Last good sync</dt>
              <dd class={health.lastSuccessfulSync || !health.lastSync ? "" : "bad"}>
                {health.lastSuccessfulSync?.finishedAt ? ago(health.lastSuccessfulSync.finishedAt) : "never"}
              </dd>
            </div>
            <div>
              <dt>Last sync</dt>
              <dd class={health.lastSync && health.lastSync.state !== "succeeded" && health.lastSync.state !== "running" ? "bad" : ""}>
                {health.lastSync ? health.lastSync.state : "none"}
              </dd>
            </div>
          </dl>
          {health.errorsByKind.length > 0 ? (
            <p class="errors-line">Errors by kind: {health.errorsByKind.map((e) => `${e.kind} ${e.count}`).join(", ")}</p>
          ) : null}
          <HourChart minutes={health.lastHour} recordingSince={health.recordingSince} />
        </>
      ) : null}
    </li>
  );
}
