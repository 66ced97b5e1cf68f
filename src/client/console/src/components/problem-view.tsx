import { useEffect, useRef } from "preact/hooks";
import type { ShownProblem } from "../api.js";

/**
 * A problem in words: its title, its detail, its code (to look up at /problems/<code>) and, for a
 * validation problem, every field that is wrong. An alert, so a screen reader says it at once;
 * `focus` moves focus to it, for problems that answer what the person just did.
 */
export function ProblemView({ problem, focus = false, context }: { problem: ShownProblem; focus?: boolean; context?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (focus) ref.current?.focus();
  }, [focus, problem]);
  return (
    <div class="problem" role="alert" tabIndex={-1} ref={ref}>
      <p class="problem-title">
        {context ? `${context}: ` : ""}
        <strong>{problem.title}</strong>
        {problem.status ? <span class="muted"> ({problem.status})</span> : null}
      </p>
      {problem.detail ? <p>{problem.detail}</p> : null}
      {problem.errors && problem.errors.length > 0 ? (
        <ul>
          {problem.errors.map((e) => (
            <li key={e.name}>
              <code>{e.name}</code> {e.reason}
            </li>
          ))}
        </ul>
      ) : null}
      {problem.code ? (
        <p class="muted small">
          Problem type{" "}
          <a href={`/problems/${problem.code}`} target="_blank" rel="noreferrer">
            {problem.code}
          </a>
          : when it happens and what to do.
        </p>
      ) : null}
    </div>
  );
}
