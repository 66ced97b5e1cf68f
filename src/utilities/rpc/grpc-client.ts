import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { requiredSecret } from "../config/secrets.js";
import { tracingClientInterceptor } from "../telemetry/grpc-tracing.js";
import { deadlineBound } from "./deadline.js";
import { platformCredentialClientInterceptor } from "./platform-credential.js";

/**
 * A transport to a service at `baseUrl` (e.g. http://127.0.0.1:7101) speaking
 * gRPC over h2c, carrying the platform credential (BP_PLATFORM_TOKEN) on every call.
 */
export function grpcTransport(baseUrl: string, platformToken = requiredSecret("BP_PLATFORM_TOKEN")): Transport {
  return createGrpcTransport({
    baseUrl,
    interceptors: [tracingClientInterceptor, platformCredentialClientInterceptor(platformToken)],
    // Between our own services on one network, compression costs more CPU than it saves time: a profile
    // under load showed gzip at 13% of the booking manager's time (ConnectRPC accepts gzip and brotli by default).
    acceptCompression: [],
  });
}

/** A client of a service whose calls carry (what is left of) the current request's deadline. */
export function grpcClient<T extends DescService>(service: T, transport: Transport): Client<T> {
  return deadlineBound(createClient(service, transport) as never) as Client<T>;
}
