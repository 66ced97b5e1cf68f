import { describe, expect, it } from "vitest";
import { exportsTelemetry } from "./telemetry-config.js";

describe("whether a process exports telemetry", () => {
  it("does with an OTLP endpoint, for everything or for traces", () => {
    expect(exportsTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toBe(true);
    expect(exportsTelemetry({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces" })).toBe(true);
  });

  it("does not without one, with an empty one, or with OTEL_SDK_DISABLED=true", () => {
    expect(exportsTelemetry({})).toBe(false);
    expect(exportsTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: "" })).toBe(false);
    expect(exportsTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "TRUE" })).toBe(false);
    expect(exportsTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "false" })).toBe(true);
  });
});
