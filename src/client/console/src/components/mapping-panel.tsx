import type { ProviderCatalog } from "@booking-platform/client";
import { useState } from "preact/hooks";
import { call, problemFrom, type ShownProblem } from "../api.js";
import { useLoad } from "../hooks.js";
import { useSession } from "../session.js";
import { ProblemView } from "./problem-view.js";

type ClinicChoice = { how: "leave" | "create" | "existing"; id: string };

/** Vården's treatments and clinics, for the choices; empty without availability:read (ids are typed then). */
function useVaardenCatalog() {
  const { client, canSearch } = useSession();
  return useLoad(async () => {
    if (!canSearch) return { treatments: [], clinics: [] };
    const [treatments, clinics] = await Promise.all([call(client.GET("/v1/treatments")), call(client.GET("/v1/clinics"))]);
    return { treatments: treatments.items, clinics: clinics.items };
  }, [client, canSearch]);
}

/**
 * The provider's catalog as last synced, each code with its Vården id; the unmapped ones listed, each
 * with a choice. The API refuses a mapping to an unknown Vården id whole, and says why: shown as it says it.
 */
export function MappingPanel({ instanceId, onMapped }: { instanceId: string; onMapped?: (catalog: ProviderCatalog) => void }) {
  const { client } = useSession();
  const catalog = useLoad(
    () => call(client.GET("/v1/admin/instances/{instanceId}/catalog", { params: { path: { instanceId } } })),
    [client, instanceId],
  );
  const vaarden = useVaardenCatalog();
  const [clinicChoices, setClinicChoices] = useState<Record<string, ClinicChoice>>({});
  const [treatmentChoices, setTreatmentChoices] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<ShownProblem>();
  const [saved, setSaved] = useState<string>();
  const [busy, setBusy] = useState(false);
  const data = catalog.data;
  const treatments = vaarden.data?.treatments ?? [];

  const save = async (event: Event) => {
    event.preventDefault();
    setProblem(undefined);
    setSaved(undefined);
    const clinics = Object.entries(clinicChoices)
      .filter(([, c]) => c.how !== "leave")
      .map(([code, c]) =>
        c.how === "create"
          ? { providerClinicCode: code, createClinic: true, ...(c.id.trim() ? { vaardenClinicId: c.id.trim() } : {}) }
          : { providerClinicCode: code, vaardenClinicId: c.id.trim() },
      );
    const mappedTreatments = Object.entries(treatmentChoices)
      .filter(([, id]) => id.trim() !== "")
      .map(([code, id]) => ({ providerTreatmentCode: code, vaardenTreatmentId: id.trim() }));
    if (clinics.length === 0 && mappedTreatments.length === 0) {
      setProblem({ title: "Nothing to map", detail: "Choose a mapping for at least one clinic or treatment code." });
      return;
    }
    setBusy(true);
    try {
      const mapped = await call(
        client.POST("/v1/admin/instances/{instanceId}/mappings", {
          params: { path: { instanceId } },
          body: { clinics, treatments: mappedTreatments },
        }),
      );
      setClinicChoices({});
      setTreatmentChoices({});
      await catalog.reload();
      setSaved(
        `Mapped ${clinics.length} clinic${clinics.length === 1 ? "" : "s"} and ${mappedTreatments.length} treatment${mappedTreatments.length === 1 ? "" : "s"}. ` +
          `Searches find ${mapped.activeOfferings} offering${mapped.activeOfferings === 1 ? "" : "s"} of this instance now.`,
      );
      onMapped?.(mapped);
    } catch (error) {
      setProblem(problemFrom(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="mapping-heading">
      <h2 id="mapping-heading">Map clinics and treatments to Vården's</h2>
      {catalog.problem ? <ProblemView problem={catalog.problem} context="The provider's catalog could not be read" /> : null}
      {vaarden.problem ? <ProblemView problem={vaarden.problem} context="Vården's catalog could not be read" /> : null}
      {data ? (
        <>
          <p role="status">
            {data.clinics.length === 0 && data.treatments.length === 0 ? (
              <>Nothing synced yet: sync the catalog first, then map what it lists. </>
            ) : data.unmapped.clinicCodes.length + data.unmapped.treatmentCodes.length === 0 ? (
              <>Every code is mapped. </>
            ) : (
              <>
                Unmapped: {data.unmapped.clinicCodes.length} clinic code{data.unmapped.clinicCodes.length === 1 ? "" : "s"}
                {data.unmapped.clinicCodes.length > 0 ? ` (${data.unmapped.clinicCodes.join(", ")})` : ""} and{" "}
                {data.unmapped.treatmentCodes.length} treatment code{data.unmapped.treatmentCodes.length === 1 ? "" : "s"}
                {data.unmapped.treatmentCodes.length > 0 ? ` (${data.unmapped.treatmentCodes.join(", ")})` : ""}.{" "}
              </>
            )}
            Searches find <strong>{data.activeOfferings}</strong> offering{data.activeOfferings === 1 ? "" : "s"} of this instance.
          </p>
          {data.clinics.length === 0 && data.treatments.length === 0 ? null : (
            <form onSubmit={save}>
              <datalist id="vaarden-clinics">
                {(vaarden.data?.clinics ?? []).map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </datalist>
              <div class="table-wrap">
                <table>
                  <caption>Clinics</caption>
                  <thead>
                    <tr>
                      <th scope="col">Provider code</th>
                      <th scope="col">Name</th>
                      <th scope="col">Vården clinic</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.clinics.map((c) => {
                      const choice = clinicChoices[c.code] ?? { how: "leave", id: "" };
                      const set = (next: Partial<ClinicChoice>) => setClinicChoices({ ...clinicChoices, [c.code]: { ...choice, ...next } });
                      return (
                        <tr key={c.code}>
                          <td>
                            <code>{c.code}</code>
                            {c.active ? null : <span class="muted"> (gone)</span>}
                          </td>
                          <td>
                            {c.name}
                            <span class="muted small">{c.city ? `, ${c.city}` : ""}</span>
                          </td>
                          <td>
                            {c.vaardenClinicId ? (
                              <code>{c.vaardenClinicId}</code>
                            ) : c.active ? (
                              <div class="radio-row">
                                <label class="visually-hidden" for={`clinic-how-${c.code}`}>
                                  How to map clinic {c.code}
                                </label>
                                <select
                                  id={`clinic-how-${c.code}`}
                                  value={choice.how}
                                  // Another way of mapping starts from an empty id: an existing clinic's id is rarely the one to create.
                                  onChange={(e) => set({ how: e.currentTarget.value as ClinicChoice["how"], id: "" })}
                                >
                                  <option value="leave">Leave unmapped</option>
                                  <option value="create">Create a Vården clinic from it</option>
                                  <option value="existing">Map to an existing Vården clinic</option>
                                </select>
                                {choice.how !== "leave" ? (
                                  <>
                                    <label class="visually-hidden" for={`clinic-id-${c.code}`}>
                                      Vården clinic id for {c.code}
                                    </label>
                                    <input
                                      id={`clinic-id-${c.code}`}
                                      value={choice.id}
                                      list={choice.how === "existing" ? "vaarden-clinics" : undefined}
                                      placeholder={choice.how === "create" ? `${instanceId}-${c.code}` : "a Vården clinic id"}
                                      required={choice.how === "existing"}
                                      onInput={(e) => set({ id: e.currentTarget.value })}
                                    />
                                  </>
                                ) : null}
                              </div>
                            ) : (
                              <span class="muted">not listed any more</span>
                            )}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
              <div class="table-wrap">
                <table>
                  <caption>Treatments</caption>
                  <thead>
                    <tr>
                      <th scope="col">Provider code</th>
                      <th scope="col">Name</th>
                      <th scope="col">Vården treatment</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.treatments.map((t) => (
                      <tr key={t.code}>
                        <td>
                          <code>{t.code}</code>
                          {t.active ? null : <span class="muted"> (gone)</span>}
                        </td>
                        <td>{t.name}</td>
                        <td>
                          {t.vaardenTreatmentId ? (
                            <code>{t.vaardenTreatmentId}</code>
                          ) : !t.active ? (
                            <span class="muted">not listed any more</span>
                          ) : treatments.length > 0 ? (
                            <>
                              <label class="visually-hidden" for={`treatment-${t.code}`}>
                                Vården treatment for {t.code}
                              </label>
                              <select
                                id={`treatment-${t.code}`}
                                value={treatmentChoices[t.code] ?? ""}
                                onChange={(e) => setTreatmentChoices({ ...treatmentChoices, [t.code]: e.currentTarget.value })}
                              >
                                <option value="">Leave unmapped</option>
                                {treatments.map((v) => (
                                  <option key={v.id} value={v.id}>
                                    {v.name} ({v.id})
                                  </option>
                                ))}
                              </select>
                            </>
                          ) : (
                            <>
                              <label class="visually-hidden" for={`treatment-${t.code}`}>
                                Vården treatment id for {t.code}
                              </label>
                              <input
                                id={`treatment-${t.code}`}
                                value={treatmentChoices[t.code] ?? ""}
                                placeholder="a Vården treatment id"
                                onInput={(e) => setTreatmentChoices({ ...treatmentChoices, [t.code]: e.currentTarget.value })}
                              />
                            </>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <div class="actions">
                <button type="submit" disabled={busy}>
                  {busy ? "Saving…" : "Save mappings"}
                </button>
                <span class="muted small">All or nothing: a refused mapping writes nothing.</span>
              </div>
            </form>
          )}
          {problem ? <ProblemView problem={problem} focus context="The mapping was refused" /> : null}
          {saved ? (
            <p class="notice" role="status">
              {saved}
            </p>
          ) : null}
        </>
      ) : catalog.loading ? (
        <p>Loading the provider's catalog…</p>
      ) : null}
    </section>
  );
}
