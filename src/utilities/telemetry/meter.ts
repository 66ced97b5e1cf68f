import { type Meter, metrics } from "@opentelemetry/api";

/** The platform's meter; a no-op until the SDK is started, so code that records metrics runs anywhere. */
export function platformMeter(): Meter {
  return metrics.getMeter("booking-platform");
}
