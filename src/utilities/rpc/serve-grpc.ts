import http2 from "node:http2";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { rotatingSecret } from "../config/secrets.js";
import { tracingServerInterceptor } from "../telemetry/grpc-tracing.js";
import { deadlineServerInterceptor } from "./deadline.js";
import { platformCredentialServerInterceptor } from "./platform-credential.js";

export interface GrpcServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves connect routes over plain HTTP/2 (h2c) so that any gRPC client,
 * `buf curl --protocol grpc --http2-prior-knowledge` included, can call them,
 * provided the call carries the platform credential (platform-credential.ts).
 * Resolves once the port is bound; rejects (e.g. EADDRINUSE) otherwise.
 */
export async function serveGrpc(
  routes: (router: ConnectRouter) => void,
  port: number,
  host = "127.0.0.1",
  platformTokens: string[] = rotatingSecret("BP_PLATFORM_TOKEN"),
): Promise<GrpcServer> {
  const server = http2.createServer(
    connectNodeAdapter({
      routes,
      grpc: true,
      grpcWeb: false,
      connect: true,
      // No compression between our services (grpc-client.ts says why); a client that sends compressed anyway is refused.
      acceptCompression: [],
      // Traced first, so that a refused call still shows in the caller's trace.
      interceptors: [tracingServerInterceptor, platformCredentialServerInterceptor(platformTokens), deadlineServerInterceptor],
    }),
  );
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  return {
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.close();
        server.close(() => resolve());
      }),
  };
}
