import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ServiceStartError, startSystem } from "../../src/host/system-runner.js";
import { systemTestPortOffset } from "./support/port-offset.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("starting the system", () => {
  it("fails loudly, naming the service, when its port is taken, and leaves nothing running", async () => {
    const portOffset = systemTestPortOffset(14_000);
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(7101 + portOffset, "127.0.0.1", resolve));
    try {
      const keyFile = path.join(mkdtempSync(path.join(tmpdir(), "bp-start-failure-")), "patient-data.key");
      const error = await startSystem({
        root,
        portOffset,
        inMemoryDatabase: true,
        output: () => {},
        env: { BP_PATIENT_DATA_KEY_FILE: keyFile },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ServiceStartError);
      expect((error as ServiceStartError).service).toBe("booking-manager");
      expect((error as Error).message).toContain(`port ${7101 + portOffset} is already in use`);
      // Everything started before the failure was stopped again.
      for (const port of [7301, 7302, 7303, 7201, 7202, 7401, 8000]) expect(await canConnect(port + portOffset)).toBe(false);
    } finally {
      squatter.close();
    }
  });
});
