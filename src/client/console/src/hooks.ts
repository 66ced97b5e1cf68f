import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { problemFrom, type ShownProblem } from "./api.js";

/** The hash route, split: "#/instances/kb-demo" → ["instances", "kb-demo"]. */
export function useRoute(): string[] {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const changed = () => setHash(window.location.hash);
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return hash
    .replace(/^#\/?/, "")
    .split("/")
    .filter(Boolean)
    .map((part) => decodeURIComponent(part));
}

export interface Loaded<T> {
  data?: T;
  problem?: ShownProblem;
  /** When the last answer (data or problem) came. */
  updatedAt?: Date;
  loading: boolean;
  reload: () => Promise<void>;
}

/**
 * Loads with `load` at once and again every `everyMs` (when given) while the page is visible; a
 * failed load keeps the last data beside its problem, so a blip does not blank the page.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], everyMs?: number): Loaded<T> {
  const [state, setState] = useState<Omit<Loaded<T>, "reload">>({ loading: true });
  const loadRef = useRef(load);
  loadRef.current = load;
  const generation = useRef(0);
  // Reloads when the caller's deps change; `load` itself is read through a ref.
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await loadRef.current();
      if (mine === generation.current) setState({ data, loading: false, updatedAt: new Date() });
    } catch (error) {
      if (mine === generation.current)
        setState((s) => ({ data: s.data, problem: problemFrom(error), loading: false, updatedAt: new Date() }));
    }
  }, deps);

  useEffect(() => {
    void reload();
    if (!everyMs) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === "visible") void reload();
    }, everyMs);
    return () => window.clearInterval(timer);
  }, [reload, everyMs]);

  return { ...state, reload };
}
