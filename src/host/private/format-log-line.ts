const levels: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "WARN", 50: "ERROR", 60: "FATAL" };

/** Pino JSON lines made readable for a person at a terminal; anything else passes through. */
export function formatLogLine(line: string): string {
  if (!line.startsWith("{")) return line;
  try {
    const entry = JSON.parse(line) as {
      level?: number;
      msg?: string;
      time?: number;
      err?: { message?: string };
      req?: { method?: string; url?: string };
      res?: { statusCode?: number };
      responseTime?: number;
    };
    const time = entry.time ? new Date(entry.time).toISOString().slice(11, 23) : "";
    const level = levels[entry.level ?? 30] ?? String(entry.level);
    const error = entry.err?.message && !entry.msg?.includes(entry.err.message) ? ` (${entry.err.message})` : "";
    // Fastify's request lines say little on their own: show what was asked and answered.
    const request = entry.req ? ` ${entry.req.method} ${entry.req.url}` : "";
    const response = entry.res ? ` → ${entry.res.statusCode} in ${Math.round(entry.responseTime ?? 0)} ms` : "";
    return `${time} ${level.padEnd(5)} ${entry.msg ?? ""}${request}${response}${error}`;
  } catch {
    return line;
  }
}
