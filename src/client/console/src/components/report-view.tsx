import type { ConnectionReport } from "@booking-platform/client";
import { formatDateTime, ms } from "../format.js";

/** What trying an instance found: what it can do, the provider's catalog in its own codes, a sample search. */
export function ReportView({ report, heading = "What the dry run found" }: { report: ConnectionReport; heading?: string }) {
  const { capabilities, catalog, sample } = report;
  const clinicName = new Map(catalog.clinics.map((c) => [c.code, c.name]));
  return (
    <section class="panel" aria-labelledby="report-heading">
      <h2 id="report-heading">{heading}</h2>
      <p class="muted small">Answered in {ms(report.elapsedMs)}. Nothing was stored.</p>
      <dl class="figures">
        <div>
          <dt>Booking</dt>
          <dd>{capabilities.bookingMode === "api" ? "through the API" : "deep link to the provider's site"}</dd>
        </div>
        <div>
          <dt>Holds</dt>
          <dd>{capabilities.supportsHold ? "yes" : "no"}</dd>
        </div>
        <div>
          <dt>Lists its catalog</dt>
          <dd>{capabilities.catalog ? "yes" : "no"}</dd>
        </div>
      </dl>
      <div class="two-columns">
        <div class="table-wrap">
          <table>
            <caption>Clinics ({catalog.clinics.length})</caption>
            <thead>
              <tr>
                <th scope="col">Code</th>
                <th scope="col">Name</th>
                <th scope="col">City</th>
              </tr>
            </thead>
            <tbody>
              {catalog.clinics.map((c) => (
                <tr key={c.code}>
                  <td>
                    <code>{c.code}</code>
                  </td>
                  <td>{c.name}</td>
                  <td>{c.city}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div class="table-wrap">
          <table>
            <caption>Treatments ({catalog.treatments.length})</caption>
            <thead>
              <tr>
                <th scope="col">Code</th>
                <th scope="col">Name</th>
                <th scope="col">Minutes</th>
              </tr>
            </thead>
            <tbody>
              {catalog.treatments.map((t) => (
                <tr key={t.code}>
                  <td>
                    <code>{t.code}</code>
                  </td>
                  <td>{t.name}</td>
                  <td>{t.durationMinutes || "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
      <p class="muted small">{catalog.practitioners.length} practitioners listed.</p>
      {sample ? (
        <div class="table-wrap">
          <table>
            <caption>
              Sample search: <code>{sample.treatmentCode}</code> at {clinicName.get(sample.clinicCode) ?? sample.clinicCode},{" "}
              {formatDateTime(sample.from)} – {formatDateTime(sample.to)}: {sample.slots.length} free slots
            </caption>
            <thead>
              <tr>
                <th scope="col">Start</th>
                <th scope="col">End</th>
                <th scope="col">Practitioner</th>
                <th scope="col">Places / link</th>
              </tr>
            </thead>
            <tbody>
              {sample.slots.slice(0, 8).map((s) => (
                <tr key={s.providerSlotId}>
                  <td>{formatDateTime(s.start)}</td>
                  <td>{formatDateTime(s.end)}</td>
                  <td>{s.practitionerName ?? "—"}</td>
                  <td>
                    {s.remainingCapacity !== undefined ? `${s.remainingCapacity} left` : ""}
                    {s.bookingLink ? (
                      <>
                        {" "}
                        <a href={s.bookingLink} target="_blank" rel="noreferrer">
                          booking link
                        </a>
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p>The sample search found nothing to search (no clinic with a treatment).</p>
      )}
    </section>
  );
}
