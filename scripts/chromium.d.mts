/** Types of scripts/chromium.mjs, for the browser tests that call it. */
export function findChromium(env?: NodeJS.ProcessEnv): string | undefined;
export function ensureChromium(options?: {
  log?: (line: string) => void;
}): { path: string; missing?: undefined } | { path?: undefined; missing: string };
