import type { Sync } from "@booking-platform/client";
import { useEffect, useState } from "preact/hooks";
import { call, problemFrom, type ShownProblem } from "../api.js";
import { formatDateTime } from "../format.js";
import { useSession } from "../session.js";
import { SyncStateBadge } from "./badges.js";
import { ProblemView } from "./problem-view.js";

const pollMs = 400;

/** Starts a sync of one instance and follows it: items done of total, new, changed and gone. */
export function SyncPanel({
  instanceId,
  onFinished,
  disabled,
}: {
  instanceId: string;
  onFinished?: (sync: Sync) => void;
  disabled?: string;
}) {
  const { client } = useSession();
  const [sync, setSync] = useState<Sync>();
  const [problem, setProblem] = useState<ShownProblem>();
  const [skipped, setSkipped] = useState<string>();
  const running = sync?.state === "running";

  useEffect(() => {
    if (sync?.state !== "running") return;
    const timer = window.setTimeout(async () => {
      try {
        const next = await call(client.GET("/v1/admin/syncs/{syncId}", { params: { path: { syncId: sync.id } } }));
        setSync(next);
        if (next.state !== "running") onFinished?.(next);
      } catch (error) {
        setProblem(problemFrom(error));
      }
    }, pollMs);
    return () => window.clearTimeout(timer);
  }, [sync, client, onFinished]);

  const start = async () => {
    setProblem(undefined);
    setSkipped(undefined);
    try {
      const started = await call(client.POST("/v1/admin/syncs", { body: { instanceId } }));
      const first = started.items[0];
      if (first) {
        setSync(first);
        if (first.state !== "running") onFinished?.(first);
      } else setSkipped(started.skipped.map((s) => `${s.instanceId}: ${s.reason}`).join("; ") || "Nothing was started.");
    } catch (error) {
      setProblem(problemFrom(error));
    }
  };

  return (
    <section class="panel" aria-labelledby="sync-heading">
      <h2 id="sync-heading">Sync the catalog</h2>
      <p class="muted small">Reads the provider's clinics, practitioners and treatments and records what is new, changed or gone.</p>
      <div class="actions">
        <button type="button" onClick={start} disabled={running || Boolean(disabled)}>
          {running ? "Syncing…" : sync ? "Sync again" : "Start sync"}
        </button>
        {disabled ? <span class="muted">{disabled}</span> : null}
      </div>
      {problem ? <ProblemView problem={problem} focus context="The sync could not be followed" /> : null}
      {skipped ? (
        <p class="problem" role="alert">
          Not started: {skipped}
        </p>
      ) : null}
      {sync ? <SyncProgress sync={sync} /> : null}
    </section>
  );
}

export function SyncProgress({ sync }: { sync: Sync }) {
  const { done, total } = sync.progress;
  const rows = [
    ["Clinics", sync.counts.clinics],
    ["Practitioners", sync.counts.practitioners],
    ["Treatments", sync.counts.treatments],
  ] as const;
  return (
    <div class="sync-progress">
      <p>
        <SyncStateBadge state={sync.state} />{" "}
        <span role="status">
          {sync.state === "running"
            ? total > 0
              ? `${done} of ${total} items recorded`
              : "Reading the provider's catalog…"
            : `Sync ${sync.state}: ${done} of ${total} items recorded`}
        </span>
      </p>
      <label class="visually-hidden" for={`progress-${sync.id}`}>
        Sync progress
      </label>
      <progress id={`progress-${sync.id}`} max={Math.max(total, 1)} value={sync.state === "running" && total === 0 ? undefined : done} />
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">What the sync found</caption>
          <thead>
            <tr>
              <th scope="col">Items</th>
              <th scope="col">New</th>
              <th scope="col">Changed</th>
              <th scope="col">Gone</th>
              <th scope="col">Unchanged</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([label, c]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td>{c.new}</td>
                <td>{c.changed}</td>
                <td>{c.gone}</td>
                <td>{c.unchanged}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {sync.errors.length > 0 ? (
        <div class="problem" role="alert">
          <p>
            <strong>The sync reported errors</strong>
          </p>
          <ul>
            {sync.errors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <p class="muted small">
        Started {formatDateTime(sync.startedAt)} by {sync.trigger}
        {sync.finishedAt ? `, finished ${formatDateTime(sync.finishedAt)}` : ""}.
      </p>
    </div>
  );
}
