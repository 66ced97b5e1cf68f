import type { ProviderCatalog, Slot } from "@booking-platform/client";
import { useState } from "preact/hooks";
import { call, problemFrom, type ShownProblem } from "../api.js";
import { localSlotTime, weekdayAhead } from "../format.js";
import { useSession } from "../session.js";
import { ProblemView } from "./problem-view.js";

/**
 * Searches Vården's availability, exactly as Vården does (GET /v1/availability), for this instance's
 * mapped clinics: what patients will see. Needs a key with availability:read.
 */
export function SlotsPanel({ instanceId, catalog }: { instanceId: string; catalog?: ProviderCatalog }) {
  const { client } = useSession();
  const clinicIds = [...new Set((catalog?.clinics ?? []).filter((c) => c.active && c.vaardenClinicId).map((c) => c.vaardenClinicId!))];
  const treatmentIds = [
    ...new Set((catalog?.treatments ?? []).filter((t) => t.active && t.vaardenTreatmentId).map((t) => t.vaardenTreatmentId!)),
  ];
  const [treatment, setTreatment] = useState<string>();
  const [day, setDay] = useState(weekdayAhead(1));
  const [slots, setSlots] = useState<{ items: Slot[]; providers: string }>();
  const [problem, setProblem] = useState<ShownProblem>();
  const [busy, setBusy] = useState(false);
  const chosen = treatment ?? treatmentIds[0] ?? "";

  const search = async (event: Event) => {
    event.preventDefault();
    setProblem(undefined);
    setBusy(true);
    try {
      const found = await call(
        client.GET("/v1/availability", {
          params: { query: { treatment: chosen, clinic: clinicIds.slice(0, 20), from: day, to: day, pageSize: 20 } },
        }),
      );
      setSlots({
        items: found.items.filter((s) => s.providerInstanceId === instanceId),
        providers: found.providers
          .map((p) => `${p.providerInstanceId}: ${p.status}${p.slotCount !== undefined ? `, ${p.slotCount} slots` : ""}`)
          .join("; "),
      });
    } catch (error) {
      setSlots(undefined);
      setProblem(problemFrom(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="slots-heading">
      <h2 id="slots-heading">Slots as Vården sees them</h2>
      {clinicIds.length === 0 || treatmentIds.length === 0 ? (
        <p>Map at least one clinic and one treatment first: searches find only mapped offerings.</p>
      ) : (
        <form onSubmit={search} class="actions">
          <div class="field">
            <label for="slots-treatment">Treatment</label>
            <select id="slots-treatment" value={chosen} onChange={(e) => setTreatment(e.currentTarget.value)}>
              {treatmentIds.map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="slots-day">Day</label>
            <input id="slots-day" type="date" value={day} required onInput={(e) => setDay(e.currentTarget.value)} />
          </div>
          <button type="submit" disabled={busy}>
            {busy ? "Searching…" : "Search slots"}
          </button>
        </form>
      )}
      {problem ? <ProblemView problem={problem} focus context="The search failed" /> : null}
      {slots ? (
        <>
          <p role="status">
            {slots.items.length} free slot{slots.items.length === 1 ? "" : "s"} at {clinicIds.join(", ")} on {day}.{" "}
            <span class="muted small">Providers asked: {slots.providers || "none"}.</span>
          </p>
          {slots.items.length > 0 ? (
            <div class="table-wrap">
              <table>
                <caption class="visually-hidden">Free slots</caption>
                <thead>
                  <tr>
                    <th scope="col">Starts (clinic's time)</th>
                    <th scope="col">Clinic</th>
                    <th scope="col">Practitioner</th>
                    <th scope="col">Booked</th>
                  </tr>
                </thead>
                <tbody>
                  {slots.items.map((s) => (
                    <tr key={s.slotId}>
                      <td>{localSlotTime(s.localStart)}</td>
                      <td>{s.clinicId}</td>
                      <td>{s.practitionerName || "—"}</td>
                      <td>
                        {s.bookingLink ? (
                          <a href={s.bookingLink} target="_blank" rel="noreferrer">
                            at the provider
                          </a>
                        ) : (
                          "through the API"
                        )}
                        {s.remainingCapacity !== undefined ? `, ${s.remainingCapacity} places left` : ""}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
