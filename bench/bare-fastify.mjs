/**
 * The bench's reference (d): a bare Fastify route in a process of its own, `GET /hello` answering a
 * small JSON body, no hooks, no logging, no telemetry. What one Node process on this machine serves
 * at best; warm availability is printed as a ratio to it. Plain JavaScript, run on plain `node`.
 *
 *   node bench/bare-fastify.mjs <port>
 */
import Fastify from "fastify";

const app = Fastify({ logger: false });
app.get("/hello", async () => ({ hello: "world" }));
await app.listen({ port: Number(process.argv[2] ?? 0), host: "127.0.0.1" });
process.stdout.write(`listening ${app.server.address().port}\n`);
process.once("SIGTERM", () => void app.close().then(() => process.exit(0)));
