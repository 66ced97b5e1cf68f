import type { NodeSDK } from "@opentelemetry/sdk-node";

let sdk: NodeSDK | undefined;

export function setTelemetrySdk(started: NodeSDK | undefined): void {
  sdk = started;
}

/** Sends what is still buffered, before a process exits; a no-op without telemetry. */
export async function flushTelemetry(): Promise<void> {
  await sdk?.shutdown().catch((error: Error) => {
    // The process is exiting anyway; what could not be sent is lost, and saying so is all we can do.
    process.stderr.write(`telemetry: could not flush on exit: ${error.message}\n`);
  });
}
