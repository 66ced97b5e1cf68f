/** Types of scripts/build.mjs, for the TypeScript that calls it (the system tests build before starting the system). */
export interface BuildResult {
  /** Source files compiled this time (0: dist/ was current). */
  compiled: number;
  /** Deleted source files whose outputs were removed. */
  removed: number;
  /** Source files dist/ holds a compiled file for. */
  total: number;
  ms: number;
  /** The operator console's build (dist/console/), unless it was left out. */
  console?: { built: boolean; ms: number; bytes: { total: number; js: number; css: number; font: number } };
}

/** Brings dist/ up to date with src/ (compiling only what is stale) and logs one line saying what it did. */
export function buildDist(options?: { root?: string; log?: (line: string) => void; withConsole?: boolean }): Promise<BuildResult>;
