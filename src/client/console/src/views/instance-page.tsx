import type { ConnectionReport, Health, Instance } from "@booking-platform/client";
import { useState } from "preact/hooks";
import { call, problemFrom, type ShownProblem } from "../api.js";
import { CircuitBadge, StateBadge, SyncStateBadge } from "../components/badges.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { HourChart } from "../components/hour-chart.js";
import { MappingPanel } from "../components/mapping-panel.js";
import { PageHeading } from "../components/page-heading.js";
import { ProblemView } from "../components/problem-view.js";
import { ReportView } from "../components/report-view.js";
import { SlotsPanel } from "../components/slots-panel.js";
import { SyncPanel } from "../components/sync-panel.js";
import { ago, formatDateTime, formatTime, formatTimeSeconds, ms, percent } from "../format.js";
import { useLoad } from "../hooks.js";
import { useSession } from "../session.js";
import { refreshMs } from "./overview.js";

type Verb = "pause" | "resume" | "retire";

const confirmations: Record<Verb, { title: string; body: string; label: string; danger?: boolean }> = {
  pause: {
    title: "Pause this instance?",
    body: "At once its slots leave every search and new reservations at it are refused. Existing reservations stay readable and cancellable. You can resume it.",
    label: "Pause",
  },
  resume: {
    title: "Resume this instance?",
    body: "Its slots are searched and booked again from the next call.",
    label: "Resume",
  },
  retire: {
    title: "Retire this instance for good?",
    body: "It leaves searches and the catalog, and can never be resumed; its id is never reused. Nothing is deleted.",
    label: "Retire for good",
    danger: true,
  },
};

/** One instance: its health live, its settings, its actions, its syncs, its mapping and its slots. */
export function InstancePage({ instanceId }: { instanceId: string }) {
  const { client } = useSession();
  const path = { params: { path: { instanceId } } };
  const instance = useLoad(() => call(client.GET("/v1/admin/instances/{instanceId}", path)), [client, instanceId]);
  const health = useLoad(() => call(client.GET("/v1/admin/instances/{instanceId}/health", path)), [client, instanceId], refreshMs);
  const syncs = useLoad(
    () => call(client.GET("/v1/admin/instances/{instanceId}/syncs", { params: { path: { instanceId }, query: { limit: 20 } } })),
    [client, instanceId],
  );
  const catalog = useLoad(() => call(client.GET("/v1/admin/instances/{instanceId}/catalog", path)), [client, instanceId]);
  const [asking, setAsking] = useState<Verb>();
  const [actionProblem, setActionProblem] = useState<ShownProblem>();
  const [done, setDone] = useState<string>();
  const [test, setTest] = useState<ConnectionReport>();
  const [testing, setTesting] = useState(false);

  const act = async (verb: Verb, reason: string) => {
    setAsking(undefined);
    setActionProblem(undefined);
    setDone(undefined);
    try {
      const options = { params: { path: { instanceId } }, body: reason ? { reason } : {} };
      const changed = await call(
        verb === "pause"
          ? client.POST("/v1/admin/instances/{instanceId}/pause", options)
          : verb === "resume"
            ? client.POST("/v1/admin/instances/{instanceId}/resume", options)
            : client.POST("/v1/admin/instances/{instanceId}/retire", options),
      );
      // The page shows the new state first, then says so: the notice never contradicts the heading.
      await Promise.all([instance.reload(), health.reload()]);
      setDone(`${changed.displayName ?? changed.id} is ${changed.state} now.`);
    } catch (error) {
      setActionProblem(problemFrom(error));
    }
  };
  const testConnection = async () => {
    setTesting(true);
    setActionProblem(undefined);
    setTest(undefined);
    try {
      setTest(await call(client.POST("/v1/admin/instances/{instanceId}/connection-test", path)));
    } catch (error) {
      setActionProblem(problemFrom(error));
    } finally {
      setTesting(false);
    }
  };

  const i = instance.data;
  if (!i) {
    return (
      <>
        <PageHeading>{instanceId}</PageHeading>
        {instance.problem ? <ProblemView problem={instance.problem} context="The instance could not be read" /> : <p>Loading…</p>}
        <p>
          <a href="#/">Back to every provider</a>
        </p>
      </>
    );
  }
  const retired = i.state === "retired";

  return (
    <>
      <p class="small">
        <a href="#/">Providers</a> › {i.id}
      </p>
      <div class="page-head">
        <PageHeading>
          {i.displayName ?? i.id} <StateBadge state={i.state} />
        </PageHeading>
        <div class="actions">
          <button type="button" class="secondary" onClick={testConnection} disabled={retired || testing}>
            {testing ? "Testing…" : "Test connection"}
          </button>
          {i.state === "active" ? (
            <button type="button" class="secondary" onClick={() => setAsking("pause")}>
              Pause…
            </button>
          ) : null}
          {i.state === "paused" ? (
            <button type="button" class="secondary" onClick={() => setAsking("resume")}>
              Resume…
            </button>
          ) : null}
          {!retired ? (
            <button type="button" class="danger" onClick={() => setAsking("retire")}>
              Retire…
            </button>
          ) : null}
        </div>
      </div>
      {i.stateReason ? <p class="muted">Reason given: {i.stateReason}</p> : null}
      {done ? (
        <p class="notice" role="status">
          {done}
        </p>
      ) : null}
      {actionProblem ? <ProblemView problem={actionProblem} focus context="Not done" /> : null}
      {asking ? (
        <ConfirmDialog
          title={confirmations[asking].title}
          body={confirmations[asking].body}
          confirmLabel={confirmations[asking].label}
          danger={confirmations[asking].danger}
          askReason={asking !== "resume"}
          onCancel={() => setAsking(undefined)}
          onConfirm={(reason) => void act(asking, reason)}
        />
      ) : null}
      {test ? <ReportView report={test} heading="Connection test" /> : null}

      <div class="two-columns">
        <HealthPanel health={health.data} problem={health.problem} updatedAt={health.updatedAt} />
        <section class="panel" aria-labelledby="settings-heading">
          <h2 id="settings-heading">Settings</h2>
          <Settings instance={i} />
        </section>
      </div>

      {!retired ? (
        <SyncPanel
          instanceId={i.id}
          disabled={i.state === "paused" ? "Paused: resume it to sync." : undefined}
          onFinished={() => {
            void syncs.reload();
            void catalog.reload();
            void health.reload();
          }}
        />
      ) : null}
      <section class="panel" aria-labelledby="history-heading">
        <h2 id="history-heading">Sync history</h2>
        {syncs.problem ? <ProblemView problem={syncs.problem} context="The syncs could not be read" /> : null}
        {syncs.data && syncs.data.items.length === 0 ? <p>Never synced.</p> : null}
        {syncs.data && syncs.data.items.length > 0 ? (
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">Syncs of {i.id}, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">By</th>
                  <th scope="col">State</th>
                  <th scope="col">Items</th>
                  <th scope="col">Clinics new / changed / gone</th>
                  <th scope="col">Treatments new / changed / gone</th>
                  <th scope="col">Errors</th>
                </tr>
              </thead>
              <tbody>
                {syncs.data.items.map((s) => (
                  <tr key={s.id}>
                    <td>{formatDateTime(s.startedAt)}</td>
                    <td>{s.trigger}</td>
                    <td>
                      <SyncStateBadge state={s.state} />
                    </td>
                    <td>
                      {s.progress.done} of {s.progress.total}
                    </td>
                    <td>
                      {s.counts.clinics.new} / {s.counts.clinics.changed} / {s.counts.clinics.gone}
                    </td>
                    <td>
                      {s.counts.treatments.new} / {s.counts.treatments.changed} / {s.counts.treatments.gone}
                    </td>
                    <td>{s.errors.length > 0 ? s.errors.join("; ") : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      {!retired ? <MappingPanel instanceId={i.id} onMapped={() => void catalog.reload()} /> : null}
      {!retired ? <SlotsPanel instanceId={i.id} catalog={catalog.data} /> : null}
    </>
  );
}

function HealthPanel({ health, problem, updatedAt }: { health?: Health; problem?: ShownProblem; updatedAt?: Date }) {
  return (
    <section class="panel" aria-labelledby="health-heading">
      <h2 id="health-heading">Health</h2>
      {problem ? <ProblemView problem={problem} context="Health could not be read" /> : null}
      {health ? (
        <>
          <dl class="figures">
            <div>
              <dt>p50 / p95 / p99</dt>
              <dd>
                {health.calls > 0 ? `${ms(health.latencyMs.p50)} / ${ms(health.latencyMs.p95)} / ${ms(health.latencyMs.p99)}` : "no calls"}
              </dd>
            </div>
            <div>
              <dt>Error rate ({Math.round(health.windowSeconds / 60)} min)</dt>
              <dd class={health.failures > 0 ? "bad" : ""}>
                {percent(health.errorRate)} of {health.calls}
              </dd>
            </div>
            <div>
              <dt>Circuit</dt>
              <dd>
                <CircuitBadge circuit={health.circuitState} />
              </dd>
            </div>
            <div>
              <dt>Errors by kind</dt>
              <dd>
                {health.errorsByKind.length > 0
                  ? health.errorsByKind.map((e) => `${e.kind} ${e.count} (${percent(e.rate)})`).join(", ")
                  : "none"}
              </dd>
            </div>
            <div>
              <dt>Last good call</dt>
              <dd>{health.lastSuccessAt ? ago(health.lastSuccessAt) : "none yet"}</dd>
            </div>
            <div>
              <dt>Last good sync</dt>
              <dd class={health.lastSuccessfulSync || !health.lastSync ? "" : "bad"}>
                {health.lastSuccessfulSync?.finishedAt ? formatDateTime(health.lastSuccessfulSync.finishedAt) : "never"}
              </dd>
            </div>
          </dl>
          {health.lastError ? (
            <p class="small">
              Last error {ago(health.lastError.at)}: <strong>{health.lastError.kind}</strong> in {health.lastError.operation}
              {health.lastError.message ? `: ${health.lastError.message}` : ""}
            </p>
          ) : null}
          <h3>The last hour</h3>
          <HourChart minutes={health.lastHour} recordingSince={health.recordingSince} large />
          <p class="muted small">
            As provider access saw it
            {health.recordingSince ? `, counting since ${formatDateTime(health.recordingSince)} (its start)` : ""}. Updated{" "}
            {updatedAt ? formatTimeSeconds(updatedAt) : ""}.
          </p>
          {health.lastHour.length > 0 ? (
            <details>
              <summary>The minutes as a table</summary>
              <div class="table-wrap">
                <table>
                  <caption class="visually-hidden">Calls per minute, the last hour</caption>
                  <thead>
                    <tr>
                      <th scope="col">Minute</th>
                      <th scope="col">Calls</th>
                      <th scope="col">Failed</th>
                      <th scope="col">p50</th>
                      <th scope="col">p95</th>
                      <th scope="col">Errors by kind</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...health.lastHour].reverse().map((m) => (
                      <tr key={m.start}>
                        <td>{formatTime(m.start)}</td>
                        <td>{m.calls}</td>
                        <td>{m.failures}</td>
                        <td>{ms(m.latencyMs.p50)}</td>
                        <td>{ms(m.latencyMs.p95)}</td>
                        <td>{m.errorsByKind.map((e) => `${e.kind} ${e.count}`).join(", ") || "—"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </details>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

function Settings({ instance: i }: { instance: Instance }) {
  const credentials = i.credentials.env
    ? `environment variable ${i.credentials.env}`
    : i.credentials.secretId
      ? `Secrets Manager secret ${i.credentials.secretId}`
      : "none";
  return (
    <dl class="settings">
      <dt>Id</dt>
      <dd>
        <code>{i.id}</code>
      </dd>
      <dt>Adapter</dt>
      <dd>{i.adapter}</dd>
      <dt>Base URL</dt>
      <dd>{i.baseUrl}</dd>
      <dt>Credentials</dt>
      <dd>{credentials}</dd>
      <dt>Time zone</dt>
      <dd>{i.timeZone}</dd>
      <dt>Resilience</dt>
      <dd>{i.resilience && Object.keys(i.resilience).length > 0 ? <code>{JSON.stringify(i.resilience)}</code> : "defaults"}</dd>
      <dt>Options</dt>
      <dd>{i.options && Object.keys(i.options).length > 0 ? <code>{JSON.stringify(i.options)}</code> : "none"}</dd>
      <dt>Revision</dt>
      <dd>
        {i.revision}, changed {formatDateTime(i.updatedAt)}
      </dd>
      <dt>Registered</dt>
      <dd>{formatDateTime(i.createdAt)}</dd>
    </dl>
  );
}
