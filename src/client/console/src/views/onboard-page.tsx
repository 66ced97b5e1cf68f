import type { ConnectionReport, InstanceSettings, ProviderCatalog, Sync } from "@booking-platform/client";
import { useState } from "preact/hooks";
import { call, problemFrom, type ShownProblem } from "../api.js";
import { MappingPanel } from "../components/mapping-panel.js";
import { PageHeading } from "../components/page-heading.js";
import { ProblemView } from "../components/problem-view.js";
import { ReportView } from "../components/report-view.js";
import { SlotsPanel } from "../components/slots-panel.js";
import { SyncPanel } from "../components/sync-panel.js";
import { useLoad } from "../hooks.js";
import { useSession } from "../session.js";

interface Form {
  id: string;
  displayName: string;
  adapter: string;
  baseUrl: string;
  credentials: "none" | "env" | "secretId";
  credentialsName: string;
  timeZone: string;
  options: string;
  resilience: string;
}

const empty: Form = {
  id: "",
  displayName: "",
  adapter: "",
  baseUrl: "",
  credentials: "none",
  credentialsName: "",
  timeZone: "Europe/Stockholm",
  options: "",
  resilience: "",
};

const steps = ["Describe and dry run", "Sync", "Map", "See its slots"] as const;

/** The form as the API's InstanceSettings, or the fields whose JSON does not parse. */
function settingsOf(form: Form): { settings?: InstanceSettings; fieldErrors: Record<string, string> } {
  const fieldErrors: Record<string, string> = {};
  const json = (field: "options" | "resilience") => {
    if (form[field].trim() === "") return undefined;
    try {
      const value = JSON.parse(form[field]) as unknown;
      if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, never>;
      fieldErrors[field] = "must be a JSON object, e.g. {}";
    } catch (error) {
      fieldErrors[field] = `is not JSON: ${(error as Error).message}`;
    }
    return undefined;
  };
  const options = json("options");
  const resilience = json("resilience");
  if (Object.keys(fieldErrors).length > 0) return { fieldErrors };
  const settings: InstanceSettings = {
    id: form.id.trim(),
    adapter: form.adapter,
    baseUrl: form.baseUrl.trim(),
    timeZone: form.timeZone.trim(),
    ...(form.displayName.trim() ? { displayName: form.displayName.trim() } : {}),
    ...(form.credentials === "env" ? { credentials: { env: form.credentialsName.trim() } } : {}),
    ...(form.credentials === "secretId" ? { credentials: { secretId: form.credentialsName.trim() } } : {}),
    ...(options ? { options } : {}),
    ...(resilience ? { resilience } : {}),
  };
  return { settings, fieldErrors };
}

/** The fields a validation problem names (`body.baseUrl`, `body.credentials.env`), by the form's field. */
function problemFields(problem?: ShownProblem): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of problem?.errors ?? []) {
    const field = e.name.replace(/^body[./]?/, "").split(/[./]/)[0] ?? "";
    const key = field === "credentials" ? "credentialsName" : field;
    out[key] = out[key] ? `${out[key]}; ${e.reason}` : e.reason;
  }
  return out;
}

/**
 * Onboarding a clinic chain on a protocol the platform speaks, as four steps on one page: describe
 * it and dry-run it (nothing stored), register it, sync its catalog, map its codes, see its slots.
 */
export function OnboardPage() {
  const { client } = useSession();
  const adapters = useLoad(() => call(client.GET("/v1/admin/adapters")), [client]);
  const [form, setForm] = useState<Form>(empty);
  const [report, setReport] = useState<{ report: ConnectionReport; for: string }>();
  const [problem, setProblem] = useState<ShownProblem>();
  const [problemContext, setProblemContext] = useState("");
  const [busy, setBusy] = useState<"dry-run" | "register">();
  const [registered, setRegistered] = useState<string>();
  const [synced, setSynced] = useState<Sync>();
  const [mapped, setMapped] = useState<ProviderCatalog>();
  const step = !registered ? 0 : synced?.state !== "succeeded" ? 1 : !mapped || mapped.activeOfferings === 0 ? 2 : 3;

  const { settings, fieldErrors: jsonErrors } = settingsOf(form);
  const fieldErrors = { ...problemFields(problem), ...jsonErrors };
  const current = settings ? JSON.stringify(settings) : "";
  const dryRunIsCurrent = report !== undefined && report.for === current;
  const set = (patch: Partial<Form>) => setForm({ ...form, ...patch });

  const dryRun = async (event: Event) => {
    event.preventDefault();
    if (!settings) return;
    setProblem(undefined);
    setBusy("dry-run");
    try {
      setReport({ report: await call(client.POST("/v1/admin/instances/dry-run", { body: settings })), for: current });
    } catch (error) {
      setReport(undefined);
      setProblemContext("The dry run failed");
      setProblem(problemFrom(error));
    } finally {
      setBusy(undefined);
    }
  };
  const register = async () => {
    if (!settings) return;
    setProblem(undefined);
    setBusy("register");
    try {
      const instance = await call(client.POST("/v1/admin/instances", { body: settings }));
      setRegistered(instance.id);
    } catch (error) {
      setProblemContext("Not registered");
      setProblem(problemFrom(error));
    } finally {
      setBusy(undefined);
    }
  };

  const field = (name: keyof Form, label: string, input: preact.JSX.Element, hint?: string) => (
    <div class={`field${name === "baseUrl" ? " wide" : ""}`}>
      <label for={`f-${name}`}>{label}</label>
      {input}
      {hint ? (
        <span class="hint" id={`f-${name}-hint`}>
          {hint}
        </span>
      ) : null}
      {fieldErrors[name] ? (
        <span class="field-error" id={`f-${name}-error`}>
          {fieldErrors[name]}
        </span>
      ) : null}
    </div>
  );
  const aria = (name: keyof Form, hint = false) => ({
    id: `f-${name}`,
    "aria-invalid": fieldErrors[name] ? true : undefined,
    "aria-describedby": [hint ? `f-${name}-hint` : "", fieldErrors[name] ? `f-${name}-error` : ""].filter(Boolean).join(" ") || undefined,
  });

  return (
    <>
      <PageHeading>Onboard a provider</PageHeading>
      <ol class="steps" aria-label="Onboarding steps">
        {steps.map((label, index) => (
          <li key={label} aria-current={index === step ? "step" : undefined} class={index < step ? "done" : ""}>
            {label}
            {index < step ? <span class="visually-hidden"> (done)</span> : null}
          </li>
        ))}
      </ol>

      {!registered ? (
        <>
          <form class="panel" onSubmit={dryRun} aria-labelledby="describe-heading" noValidate>
            <h2 id="describe-heading">Describe the instance</h2>
            <p class="muted small">
              A dry run tries it exactly as registering will (the adapter, the URL, the credentials) and shows what it found. Nothing is
              stored until you register it.
            </p>
            <div class="form-grid">
              {field(
                "id",
                "Instance id",
                <input {...aria("id", true)} value={form.id} required onInput={(e) => set({ id: e.currentTarget.value })} />,
                "Lower-case letters, digits and dashes; never reused.",
              )}
              {field(
                "displayName",
                "Display name",
                <input {...aria("displayName")} value={form.displayName} onInput={(e) => set({ displayName: e.currentTarget.value })} />,
              )}
              {field(
                "adapter",
                "Adapter (protocol)",
                <select {...aria("adapter")} value={form.adapter} required onChange={(e) => set({ adapter: e.currentTarget.value })}>
                  <option value="">Choose…</option>
                  {(adapters.data?.items ?? []).map((a) => (
                    <option key={a} value={a}>
                      {a}
                    </option>
                  ))}
                </select>,
              )}
              {field(
                "timeZone",
                "Time zone",
                <input
                  {...aria("timeZone", true)}
                  value={form.timeZone}
                  required
                  onInput={(e) => set({ timeZone: e.currentTarget.value })}
                />,
                "IANA name, for what the provider does not say itself.",
              )}
              {field(
                "baseUrl",
                "Base URL",
                <input
                  {...aria("baseUrl", true)}
                  type="url"
                  value={form.baseUrl}
                  required
                  onInput={(e) => set({ baseUrl: e.currentTarget.value })}
                />,
                "Where the provider's API is: http:// or https://.",
              )}
            </div>
            <fieldset>
              <legend>Credentials: where the secret is (never the secret)</legend>
              <div class="radio-row">
                {(
                  [
                    ["none", "None (a public feed)"],
                    ["env", "Environment variable"],
                    ["secretId", "Secrets Manager secret"],
                  ] as const
                ).map(([value, label]) => (
                  <label key={value}>
                    <input
                      type="radio"
                      name="credentials"
                      value={value}
                      checked={form.credentials === value}
                      onChange={() => set({ credentials: value })}
                    />
                    {label}
                  </label>
                ))}
              </div>
              {form.credentials !== "none"
                ? field(
                    "credentialsName",
                    form.credentials === "env" ? "Variable name" : "Secret name or ARN",
                    <input
                      {...aria("credentialsName")}
                      value={form.credentialsName}
                      required
                      onInput={(e) => set({ credentialsName: e.currentTarget.value })}
                    />,
                  )
                : null}
            </fieldset>
            <details>
              <summary>Protocol options and resilience (optional)</summary>
              <div class="form-grid">
                {field(
                  "options",
                  "Protocol options (JSON)",
                  <textarea
                    {...aria("options", true)}
                    rows={3}
                    value={form.options}
                    onInput={(e) => set({ options: e.currentTarget.value })}
                  />,
                  'Per adapter, e.g. {"states":["AB"]} for a SMART feed.',
                )}
                {field(
                  "resilience",
                  "Resilience overrides (JSON)",
                  <textarea
                    {...aria("resilience", true)}
                    rows={3}
                    value={form.resilience}
                    onInput={(e) => set({ resilience: e.currentTarget.value })}
                  />,
                  'e.g. {"deadlineMs":2000,"breakerThreshold":5}',
                )}
              </div>
            </details>
            <div class="actions">
              <button type="submit" disabled={busy !== undefined || !settings}>
                {busy === "dry-run" ? "Trying…" : "Dry run"}
              </button>
              <button type="button" onClick={register} disabled={busy !== undefined || !dryRunIsCurrent}>
                {busy === "register" ? "Registering…" : "Register"}
              </button>
              <span class="muted small" id="register-hint">
                {dryRunIsCurrent
                  ? "The dry run passed for these settings: register to store it."
                  : report
                    ? "The settings changed since the dry run: run it again."
                    : "Register becomes available after a dry run passes."}
              </span>
            </div>
            {problem ? <ProblemView problem={problem} focus context={problemContext} /> : null}
          </form>
          {report ? <ReportView report={report.report} /> : null}
        </>
      ) : (
        <>
          <p class="notice" role="status">
            <strong>{registered}</strong> is registered and active. Next: sync its catalog, then map its codes.{" "}
            <a href={`#/instances/${encodeURIComponent(registered)}`}>Its page</a> has all of this too.
          </p>
          <SyncPanel instanceId={registered} onFinished={setSynced} />
          {synced?.state === "succeeded" ? <MappingPanel instanceId={registered} onMapped={setMapped} /> : null}
          {mapped && mapped.activeOfferings > 0 ? <SlotsPanel instanceId={registered} catalog={mapped} /> : null}
        </>
      )}
    </>
  );
}
