import type { NodeSDK } from "@opentelemetry/sdk-node";

let sdk: NodeSDK | undefined;

export function setTelemetrySdk(started: NodeSDK): void {
  sdk = started;
}

/** Sends what is still buffered, before a process exits; a no-op without telemetry. */
export async function flushTelemetry(): Promise<void> {
  await sdk?.shutdown().catch(() => undefined);
}
