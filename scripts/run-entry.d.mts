/** Types of scripts/run-entry.mjs, for the tests that check the image's entry convention. */

/** What runs for an entry: src/X.ts becomes dist/X.js; dist/X.js runs as it is. Throws for anything else. */
export function compiledEntry(entry: string): string;

/** The compiled OpenTelemetry registration loaded before every entry (unless OTEL_SDK_DISABLED=true). */
export const telemetryRegistration: string;
