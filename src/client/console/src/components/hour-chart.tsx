import type { Health } from "@booking-platform/client";
import { formatTime, ms } from "../format.js";

type Minute = Health["lastHour"][number];

const width = 600;
const height = 120;
const latencyHeight = 84;
const errorTop = 92;

/** A round top for the latency scale: 10, 20, 50, 100, 200, 500 … ms. */
function niceCeiling(value: number): number {
  const floor = 10 ** Math.floor(Math.log10(Math.max(value, 10)));
  for (const step of [1, 2, 5, 10]) if (step * floor >= value) return step * floor;
  return 10 * floor;
}

export function summarize(minutes: Minute[]): { calls: number; failures: number; worstP95: number; kinds: string } {
  const calls = minutes.reduce((sum, m) => sum + m.calls, 0);
  const failures = minutes.reduce((sum, m) => sum + m.failures, 0);
  const worstP95 = minutes.reduce((worst, m) => Math.max(worst, m.latencyMs.p95), 0);
  const byKind = new Map<string, number>();
  for (const m of minutes) for (const e of m.errorsByKind) byKind.set(e.kind, (byKind.get(e.kind) ?? 0) + e.count);
  const kinds = [...byKind].map(([kind, count]) => `${kind} ${count}`).join(", ");
  return { calls, failures, worstP95, kinds };
}

/**
 * Latency (p95 line, p50 thinner; each minute's value drawn across the minute) and failures (bars below)
 * over the last hour,
 * hand-drawn in SVG: a few dozen lines of code instead of a chart library, nothing inline that a
 * strict Content-Security-Policy would refuse, and a sentence for screen readers. The time before
 * `recordingSince` (the provider access process's start) is shaded: nothing was counted then.
 */
export function HourChart({
  minutes,
  recordingSince,
  now = Date.now(),
  large = false,
}: {
  minutes: Minute[];
  recordingSince?: string;
  now?: number;
  large?: boolean;
}) {
  const end = Math.floor(now / 60_000) + 1;
  const start = end - 60;
  const x = (minute: number) => ((minute - start) / 60) * width;
  const top = niceCeiling(minutes.reduce((worst, m) => Math.max(worst, m.latencyMs.p95), 0));
  const y = (value: number) => latencyHeight - (Math.min(value, top) / top) * (latencyHeight - 4);
  const maxFailures = Math.max(1, ...minutes.map((m) => m.failures));

  /** A step line: each minute's value drawn across that minute, runs of minutes joined, gaps left open. */
  const steps = (pick: (m: Minute) => number) => {
    const paths: string[] = [];
    let current = "";
    let previous = Number.NaN;
    for (const m of minutes) {
      const minute = Math.floor(Date.parse(m.start) / 60_000);
      if (minute < start) continue;
      const level = y(pick(m)).toFixed(1);
      if (minute === previous + 1 && current) current += ` V ${level} H ${x(minute + 1).toFixed(1)}`;
      else {
        if (current) paths.push(current);
        current = `M ${x(minute).toFixed(1)} ${level} H ${x(minute + 1).toFixed(1)}`;
      }
      previous = minute;
    }
    if (current) paths.push(current);
    return paths;
  };
  const unrecordedUntil = recordingSince ? Math.max(start, Math.min(end, Date.parse(recordingSince) / 60_000)) : start;
  const { calls, failures, worstP95, kinds } = summarize(minutes);
  const sentence =
    calls === 0
      ? "No calls in the last hour."
      : `Last hour: ${calls} calls; p95 latency at most ${ms(worstP95)}; ${failures} failed${kinds ? ` (${kinds})` : ""}.`;

  return (
    <figure class={`hour-chart${large ? " large" : ""}`}>
      <div class="chart-frame">
        <span class="chart-top" aria-hidden="true">
          {ms(top)}
        </span>
        <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={sentence}>
          {unrecordedUntil > start ? (
            <rect class="unrecorded" x={0} y={0} width={x(unrecordedUntil)} height={height}>
              <title>Not recorded: before the provider access process started</title>
            </rect>
          ) : null}
          <line class="axis" x1={0} x2={width} y1={latencyHeight} y2={latencyHeight} vector-effect="non-scaling-stroke" />
          <line class="grid" x1={0} x2={width} y1={4} y2={4} vector-effect="non-scaling-stroke" />
          {minutes.map((m) => {
            const minute = Math.floor(Date.parse(m.start) / 60_000);
            if (m.failures === 0 || minute < start) return null;
            const barHeight = Math.max(2, (m.failures / maxFailures) * (height - errorTop));
            return (
              <rect key={m.start} class="failures" x={x(minute) + 1} y={height - barHeight} width={width / 60 - 2} height={barHeight} />
            );
          })}
          {steps((m) => m.latencyMs.p50).map((d) => (
            <path key={d} class="p50" d={d} vector-effect="non-scaling-stroke" />
          ))}
          {steps((m) => m.latencyMs.p95).map((d) => (
            <path key={d} class="p95" d={d} vector-effect="non-scaling-stroke" />
          ))}
        </svg>
        <span class="chart-from" aria-hidden="true">
          {formatTime(new Date(start * 60_000))}
        </span>
        <span class="chart-to" aria-hidden="true">
          now
        </span>
      </div>
      <figcaption>
        <span class="legend">
          <span class="key p95" aria-hidden="true" /> p95
          <span class="key p50" aria-hidden="true" /> p50
          <span class="key failures" aria-hidden="true" /> failed calls
        </span>
        {large ? <span class="chart-sentence">{sentence}</span> : null}
      </figcaption>
    </figure>
  );
}
