import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problemNames } from "../../src/client/api/problems/problem-catalog.js";
import { type DemoSystem, startDemoSystem } from "./support/demo-system.js";

interface Operation {
  method: string;
  path: string;
  parameters: Array<{ in: string; name: string }>;
}

/** Strings a hostile or careless client sends. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.constantFrom(
    "",
    " ",
    "../../etc/passwd",
    "%00",
    "%E0%A4%A",
    "'; DROP TABLE x;--",
    "<script>alert(1)</script>",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j-style injection, sent literally on purpose
    "${jndi:ldap://x}",
    "__proto__",
    "constructor",
    "null",
    "-1",
    "1e309",
    "2026-02-30",
    "2026-13-01T25:61:00Z",
    "NaN",
    "🦷".repeat(50),
  ),
  fc.integer().map(String),
  fc.nat({ max: 200_000 }).map((n) => "x".repeat(n)),
);

/** Bodies as sent: JSON of every shape, deep nesting, prototype keys, and things that are not JSON at all. */
const hostileBody: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  // Nesting far deeper than any body of ours, in a field we do not take (once a stack overflow while hashing).
  fc.nat({ max: 50_000 }).map((depth) => `{"slotId":"a.b","treatmentId":"t","deep":${"[".repeat(depth)}${"]".repeat(depth)}}`),
  fc.constantFrom('{"__proto__":{"isAdmin":true}}', '{"constructor":{"prototype":{"x":1}}}', '{"a":', "{}}", "[]", "null", ""),
  nasty,
  fc
    .record(
      {
        slotId: nasty,
        treatmentId: nasty,
        note: nasty,
        patient: fc.oneof(
          fc.jsonValue(),
          fc.record(
            { name: nasty, personalIdentityNumber: nasty, dateOfBirth: nasty, phone: nasty, email: nasty, isAdmin: fc.boolean() },
            { requiredKeys: [] },
          ),
        ),
        unknown: fc.jsonValue(),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
);

/**
 * Thousands of hostile and ordinary requests, generated from the OpenAPI
 * document, against the real HTTP server with everything behind it: no 5xx,
 * every error problem+json with a catalog code, nothing written for any of
 * them, and the process still answering.
 */
describe("hostile requests", () => {
  let demo: DemoSystem;
  let operations: Operation[];
  let itemsBefore: number;
  const countItems = async () => {
    let count = 0;
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await demo.system.documents.send(new ScanCommand({ TableName: demo.tableName, Select: "COUNT", ExclusiveStartKey }));
      count += page.Count ?? 0;
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return count;
  };

  beforeAll(async () => {
    demo = await startDemoSystem();
    const document = (await (await fetch(`${demo.baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }> }>>;
    };
    operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, parameters: op.parameters ?? [] })),
    );
    itemsBefore = await countItems();
  });
  afterAll(() => demo?.close());

  const request = () =>
    fc.record({
      operation: fc.constantFrom(...operations),
      pathValues: fc.array(nasty, { minLength: 3, maxLength: 3 }),
      query: fc.dictionary(
        fc.oneof(fc.constantFrom("treatment", "clinic", "from", "to", "pageSize", "pageToken"), fc.string({ maxLength: 10 })),
        nasty,
        {
          maxKeys: 6,
        },
      ),
      credential: fc.oneof(
        { weight: 6, arbitrary: fc.constant("valid") },
        fc.constant("none"),
        nasty.map((n) => `Bearer ${n}`),
        fc.constant("Basic dXNlcjpwYXNz"),
      ),
      idempotencyKey: fc.option(nasty),
      contentType: fc.oneof(
        { weight: 4, arbitrary: fc.constant("application/json") },
        fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16", "multipart/form-data"),
        nasty,
      ),
      body: fc.option(hostileBody),
      method: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, fc.constantFrom("PUT", "DELETE", "PATCH", "OPTIONS")),
    });

  it("never answer 5xx, answer every error as problem+json with a catalog code, write nothing, and leave the API up", async () => {
    let sent = 0;
    const answered = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(request(), async (r) => {
        let i = 0;
        const path = r.operation.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(r.pathValues[i++] ?? "x"));
        const search = new URLSearchParams(Object.entries(r.query).map(([k, v]) => [k, v.slice(0, 3000)])).toString();
        const headers: Record<string, string> = {};
        if (r.credential === "valid") headers.authorization = `Bearer ${demo.apiKey}`;
        else if (r.credential !== "none") headers.authorization = r.credential.replace(/[^\t\x20-\x7e]/g, "?");
        if (r.idempotencyKey !== null) headers["idempotency-key"] = r.idempotencyKey.replace(/[^\t\x20-\x7e]/g, "?").slice(0, 8000);
        const method = r.method ?? r.operation.method;
        let body: string | undefined;
        if (method !== "GET" && r.body !== null) {
          headers["content-type"] = r.contentType.replace(/[^\t\x20-\x7e]/g, "?").slice(0, 500);
          body = r.body;
        }
        const response = await fetch(`${demo.baseUrl}${path}${search ? `?${search}` : ""}`, { method, headers, body });
        sent++;
        const text = await response.text();
        const code =
          response.status >= 400 ? `${response.status} ${(JSON.parse(text || "{}") as { code?: string }).code}` : String(response.status);
        answered.set(code, (answered.get(code) ?? 0) + 1);
        expect(response.status, `${method} ${path} → ${response.status}: ${text.slice(0, 300)}`).toBeLessThan(500);
        if (response.status >= 400) {
          expect(response.headers.get("content-type"), `${method} ${path} ${response.status}`).toContain("application/problem+json");
          const problem = JSON.parse(text) as { code: string; status: number; detail?: string };
          expect(problemNames).toContain(problem.code);
          expect(problem.status).toBe(response.status);
          expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/);
        }
      }),
      { numRuns: 5000 },
    );
    expect(sent).toBeGreaterThanOrEqual(5000);
    // Not 5000 times the same refusal: the requests reached many different answers.
    console.log(
      `hostile requests: ${sent} sent; answers: ${[...answered]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k} ×${n}`)
        .join(", ")}`,
    );
    expect(answered.size).toBeGreaterThanOrEqual(8);
    expect(await countItems()).toBe(itemsBefore);
    expect((await fetch(`${demo.baseUrl}/health`)).status).toBe(200);
    expect((await demo.client.GET("/v1/treatments")).response.status).toBe(200);
  }, 600_000);
});
