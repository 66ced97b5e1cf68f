import http from "node:http";
import type { AddressInfo } from "node:net";
import type { FaultInjector, Faults } from "./fault-injector.js";

export interface SimulatorServer {
  url: string;
  port: number;
  /** The faults in force; set them here or over HTTP (`POST /__admin/faults`). */
  faults: Faults;
  /**
   * How many API calls it got, by `METHOD /path` (no query), as a provider's access log would show:
   * how a test counts what the platform costs a provider. Also `GET /__admin/calls`; `DELETE` resets.
   */
  readonly calls: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Serves a simulator's handler on a port (0 picks a free one) and gives the
 * handle every simulator shares: its URL, its faults, and a close that also
 * lets go of calls a "hang" fault is holding.
 */
export async function serveSimulator(
  injector: FaultInjector,
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
  onError: (res: http.ServerResponse, error: Error) => void,
  options: { port?: number; host?: string } = {},
): Promise<SimulatorServer> {
  const requests = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (path === "/__admin/calls") {
      if (req.method === "DELETE") requests.clear();
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(Object.fromEntries(requests)));
      return;
    }
    if (!path.startsWith("/__admin/")) {
      const key = `${req.method} ${path}`;
      requests.set(key, (requests.get(key) ?? 0) + 1);
    }
    void handle(req, res).catch((error: Error) => onError(res, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    calls: requests,
    get faults() {
      return injector.faults;
    },
    set faults(value: Faults) {
      injector.faults = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        injector.releaseHanging();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
