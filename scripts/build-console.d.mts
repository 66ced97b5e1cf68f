/** Types of scripts/build-console.mjs, for the TypeScript that calls it (its test). */
export interface ConsoleBuild {
  built: boolean;
  ms: number;
  bytes: { total: number; js: number; css: number; font: number };
}

/** Brings dist/console/ (or `output`) up to date with the console's sources; `force` builds even when current. */
export function buildConsole(options?: {
  root?: string;
  log?: (line: string) => void;
  output?: string;
  force?: boolean;
}): Promise<ConsoleBuild>;

/** Runs `work`, then puts NODE_ENV back as it was (set, unset or changed by `work`). */
export function keepingNodeEnv<T>(work: () => Promise<T>): Promise<T>;
