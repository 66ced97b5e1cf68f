/**
 * The bench's load generator, in a process of its own so that it never shares an event loop with the
 * orchestration (bench/run.ts) or with the system under test. Plain JavaScript: it runs on plain
 * `node`, without a TypeScript loader.
 *
 *   node bench/load-worker.mjs <spec.json> <result.json>
 *
 * The spec (bench/lib/load.ts, LoadSpec) names the target, the connections, a duration or a number of
 * requests, and the requests: a list of paths (and bodies) taken in turn by one counter shared by
 * every connection, so that with `amount` equal to the list's length each item is sent at most once
 * (exactly once unless `maxSeconds` stops the load first).
 * The result holds every latency's percentiles (autocannon's own histogram keeps only 2xx), the
 * count per status, socket errors and timeouts, and for availability the answers that were 200 but
 * named a provider that failed.
 */
import { readFileSync, writeFileSync } from "node:fs";
import autocannon from "autocannon";

const [specFile, resultFile] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specFile, "utf8"));
const items = spec.items;
let next = 0;
const latencies = [];
const statuses = {};
let partial = 0;
/** For items sent several times (contention): how many 2xx each item got. */
const okPerItem = new Map();

const providerFailed = /"status":"(timeout|error|circuit-open)"/;
/** Problem codes of the answers that were not 2xx (problem+json), and the providers' statuses named in them. */
const problems = {};
const problemCode = /"code":"([a-z-]+)"/;

const request = {
  method: spec.method ?? "GET",
  setupRequest: (req, context) => {
    const index = next++;
    const item = items[index % items.length];
    context.item = item.key ?? index % items.length;
    const headers = { ...spec.headers, ...(item.headers ?? {}) };
    if (spec.idempotencyKeyPrefix) headers["idempotency-key"] = `${spec.idempotencyKeyPrefix}-${index}`;
    return { ...req, path: item.path, headers, ...(item.body === undefined ? {} : { body: item.body }) };
  },
  onResponse: (status, body, context) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status >= 300) {
      const code = `${status} ${problemCode.exec(body)?.[1] ?? "?"}${/circuit-open/.test(body) ? " (circuit open)" : /timeout/.test(body) ? " (timeout)" : ""}`;
      problems[code] = (problems[code] ?? 0) + 1;
    }
    if (status >= 200 && status < 300) {
      if (spec.countPartial && providerFailed.test(body)) partial++;
      if (spec.countPerItem) okPerItem.set(context.item, (okPerItem.get(context.item) ?? 0) + 1);
    }
  },
};

const instance = autocannon({
  url: spec.url,
  connections: spec.connections,
  ...(spec.amount ? { amount: spec.amount } : { duration: spec.durationSeconds }),
  timeout: spec.timeoutSeconds ?? 10,
  requests: [request],
  // Latencies are taken from every answer below, not only the 2xx autocannon's histogram keeps.
  skipAggregateResult: false,
});
instance.on("response", (_client, _status, _bytes, ms) => latencies.push(ms));
// A fixed number of requests, but not for longer than this: what was not sent by then is not sent.
const cap = spec.amount && spec.maxSeconds ? setTimeout(() => instance.stop(), spec.maxSeconds * 1000) : undefined;

const started = performance.now();
const result = await instance;
clearTimeout(cap);
const seconds = (performance.now() - started) / 1000;
writeFileSync(
  resultFile,
  JSON.stringify({
    requests: latencies.length,
    seconds,
    latencies,
    statuses,
    problems,
    errors: result.errors,
    timeouts: result.timeouts,
    partial,
    okPerItem: spec.countPerItem ? [...okPerItem.values()] : undefined,
  }),
);
