import type { Health, Instance } from "@booking-platform/client";

/** States as words with a shape and colour beside them: never colour alone. */
export function StateBadge({ state }: { state: Instance["state"] }) {
  const symbol = state === "active" ? "●" : state === "paused" ? "❚❚" : "■";
  return (
    <span class={`badge state-${state}`}>
      <span aria-hidden="true">{symbol}</span> {state}
    </span>
  );
}

const circuitWords: Record<Health["circuitState"], string> = {
  closed: "circuit closed",
  open: "circuit open",
  "half-open": "circuit half-open",
  isolated: "circuit isolated",
};

export function CircuitBadge({ circuit }: { circuit: Health["circuitState"] }) {
  return (
    <span class={`badge circuit-${circuit}`}>
      <span aria-hidden="true">{circuit === "closed" ? "✓" : "✕"}</span> {circuitWords[circuit]}
    </span>
  );
}

export function SyncStateBadge({ state }: { state: "running" | "succeeded" | "failed" | "interrupted" }) {
  const symbol = state === "succeeded" ? "✓" : state === "running" ? "↻" : "✕";
  return (
    <span class={`badge sync-${state}`}>
      <span aria-hidden="true">{symbol}</span> {state}
    </span>
  );
}
