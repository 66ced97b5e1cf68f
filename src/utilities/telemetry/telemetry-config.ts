/**
 * Whether this process exports telemetry at all, from the standard variables alone: an OTLP endpoint
 * (OTEL_EXPORTER_OTLP_ENDPOINT, or the traces one) and not OTEL_SDK_DISABLED=true. Kept apart from
 * the SDK so that deciding costs no import of it.
 */
export function exportsTelemetry(env: NodeJS.ProcessEnv = process.env): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  return Boolean(endpoint) && env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== "true";
}
