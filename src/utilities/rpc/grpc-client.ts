import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { tracingClientInterceptor } from "../telemetry/grpc-tracing.js";

/** A transport to a service at `baseUrl` (e.g. http://127.0.0.1:7101) speaking gRPC over h2c. */
export function grpcTransport(baseUrl: string): Transport {
  return createGrpcTransport({ baseUrl, interceptors: [tracingClientInterceptor] });
}

export function grpcClient<T extends DescService>(service: T, transport: Transport): Client<T> {
  return createClient(service, transport);
}
