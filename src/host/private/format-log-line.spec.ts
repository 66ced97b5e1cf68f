import { describe, expect, it } from "vitest";
import { formatLogLine } from "./format-log-line.js";

describe("log lines at the terminal", () => {
  it("read as time, level and message", () => {
    expect(formatLogLine(JSON.stringify({ level: 50, time: Date.parse("2026-01-01T10:11:12.345Z"), msg: "boom" }))).toBe(
      "10:11:12.345 ERROR boom",
    );
  });

  it("show what a request asked and how it was answered", () => {
    const line = formatLogLine(
      JSON.stringify({ level: 30, time: 0, msg: "request completed", res: { statusCode: 404 }, responseTime: 1.6 }),
    );
    expect(line).toContain("request completed → 404 in 2 ms");
  });

  it("leave anything that is not JSON alone", () => {
    expect(formatLogLine("plain words")).toBe("plain words");
  });
});
