import { trace } from "@opentelemetry/api";
import { type Logger, pino } from "pino";

/**
 * Patient personal data must never reach logs. Redaction is by field name, so
 * every log call that carries patient data must use these names (a patient
 * object is redacted whole). Generic keys like "name" are left alone: clinics
 * and treatments have names too, and the logger's own fields must stay readable.
 */
export const redactedPaths = [
  "patient",
  "*.patient",
  "personalIdentityNumber",
  "*.personalIdentityNumber",
  "patientName",
  "*.patientName",
  "phone",
  "*.phone",
  "email",
  "*.email",
  "req.headers.authorization",
  'req.headers["x-api-key"]',
];

export function createLogger(service: string, options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? "info";
  return pino(
    {
      level,
      redact: { paths: redactedPaths, censor: "[redacted]" },
      base: { service },
      // Every line logged inside a request carries its trace, to jump from a log line to the trace.
      mixin() {
        const span = trace.getActiveSpan();
        if (!span) return {};
        const { traceId, spanId } = span.spanContext();
        return { trace_id: traceId, span_id: spanId };
      },
    },
    options.destination ?? process.stdout,
  );
}

export type { Logger };
