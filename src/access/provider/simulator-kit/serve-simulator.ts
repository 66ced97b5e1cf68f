import http from "node:http";
import type { AddressInfo } from "node:net";
import type { FaultInjector, Faults } from "./fault-injector.js";

export interface SimulatorServer {
  url: string;
  port: number;
  /** The faults in force; set them here or over HTTP (`POST /__admin/faults`). */
  faults: Faults;
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
  const server = http.createServer((req, res) => {
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
