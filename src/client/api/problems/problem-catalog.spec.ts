import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { BookingManagerService } from "../../../managers/booking/v1/booking_manager_pb.js";
import { ErrorReason } from "../../../utilities/errors/platform-error.js";
import { buildApi } from "../build-api.js";
import { renderOpenApiDocument } from "../openapi-document.js";
import { problemCatalog, problemNames, problemTypeUri } from "./problem-catalog.js";
import { problemForReason } from "./problem-for-error.js";
import { problemReferenceFile, renderProblemReference } from "./problem-reference.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

interface Operation {
  operationId: string;
  responses: Record<
    string,
    { content?: Record<string, { examples?: Record<string, { value: { type: string; code: string; status: number } }> }> }
  >;
}

/** Every problem each operation of the generated document declares, with the status it declares it under. */
async function declaredProblems() {
  const document = JSON.parse(await renderOpenApiDocument()) as { paths: Record<string, Record<string, Operation>> };
  const declared: Array<{ operationId: string; status: number; name: string; example: { type: string; code: string; status: number } }> =
    [];
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const [name, example] of Object.entries(response.content?.["application/problem+json"]?.examples ?? {})) {
          declared.push({ operationId: operation.operationId, status: Number(status), name, example: example.value });
        }
      }
    }
  }
  return declared;
}

/**
 * Code, catalog and documents kept in step, the way fastify tests its error
 * codes, their reference page and their types together.
 */
describe("the problem catalog", () => {
  it("is what docs/reference/problems.md says (run `npm run generate` if this fails)", () => {
    expect(readFileSync(path.join(root, problemReferenceFile), "utf8")).toBe(renderProblemReference());
  });

  it("decides the problem of every reason a failure can carry", () => {
    const reasons = Object.values(ErrorReason).filter((v): v is ErrorReason => typeof v === "number" && v !== ErrorReason.UNSPECIFIED);
    for (const reason of reasons) expect(problemNames, ErrorReason[reason]).toContain(problemForReason[reason]);
  });

  it("is what the OpenAPI document declares: each declared problem under its catalog status, typed and coded", async () => {
    const declared = await declaredProblems();
    expect(declared.length).toBeGreaterThan(30);
    for (const { operationId, status, name, example } of declared) {
      expect(problemNames, `${operationId} declares unknown problem ${name}`).toContain(name);
      const entry = problemCatalog[name as keyof typeof problemCatalog];
      expect(status, `${operationId}: ${name}`).toBe(entry.status);
      expect(example).toEqual({ type: problemTypeUri(name as keyof typeof problemCatalog), code: name, title: entry.title, status });
    }
  });

  it("has no problem that no operation declares", async () => {
    const declared = new Set((await declaredProblems()).map((d) => d.name));
    // Answered by the router or by Node's HTTP parser before any operation is known.
    const routerOnly = new Set(["not-found", "method-not-allowed", "request-timeout", "uri-too-long", "headers-too-large"]);
    expect(problemNames.filter((name) => !declared.has(name) && !routerOnly.has(name))).toEqual([]);
  });

  it("serves a page for every problem type, at the URI its bodies carry", async () => {
    const app = await buildApi({
      bookingManager: createClient(
        BookingManagerService,
        createRouterTransport(() => {}),
      ),
      authentication: { apiKeys: { verify: async () => undefined } },
      logger: false,
    });
    try {
      const index = await app.inject({ method: "GET", url: "/problems" });
      expect(index.statusCode).toBe(200);
      for (const name of problemNames) {
        expect(index.body).toContain(`href="${problemTypeUri(name)}"`);
        const page = await app.inject({ method: "GET", url: problemTypeUri(name) });
        expect(page.statusCode, name).toBe(200);
        expect(page.headers["content-type"]).toContain("text/html");
        expect(page.body).toContain(problemCatalog[name].title.replaceAll("'", "&#39;"));
      }
      const unknown = await app.inject({ method: "GET", url: "/problems/no-such-problem" });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().code).toBe("not-found");
      const document = (await app.inject({ method: "GET", url: "/openapi.json" })).json() as { info: { description: string } };
      expect(document.info.description).toContain("(/problems)");
    } finally {
      await app.close();
    }
  });
});
