import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { BookingManagerService } from "../../../managers/booking/v1/booking_manager_pb.js";
import { buildApi } from "../build-api.js";
import { consoleContentSecurityPolicy } from "./console-routes.js";

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function apiServing(consoleDir?: string) {
  app = await buildApi({
    bookingManager: createClient(
      BookingManagerService,
      createRouterTransport(() => {}),
    ),
    logger: false,
    authentication: { apiKeys: { verify: async () => undefined } },
    consoleDir,
  });
  return app;
}

/** A console as `npm run build` leaves it: the page, and assets named by their content. */
function builtConsole(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "console-"));
  mkdirSync(path.join(dir, "assets"));
  writeFileSync(path.join(dir, "index.html"), '<!doctype html><script type="module" src="/console/assets/index-abc.js"></script>');
  writeFileSync(path.join(dir, "assets", "index-abc.js"), "console.log('hi')");
  return dir;
}

describe("the operator console's files", () => {
  it("are served under /console/ with a strict Content-Security-Policy and no credential", async () => {
    const api = await apiServing(builtConsole());
    const redirect = await api.inject("/console");
    expect([redirect.statusCode, redirect.headers.location]).toEqual([301, "/console/"]);
    const page = await api.inject("/console/");
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.headers["content-security-policy"]).toBe(consoleContentSecurityPolicy);
    expect(page.headers["content-security-policy"]).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(page.headers["cache-control"]).toBe("no-cache");
    const script = await api.inject("/console/assets/index-abc.js");
    expect(script.statusCode).toBe(200);
    expect(script.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
  });

  it("leave the rest of the API's policy alone: /docs keeps the one Swagger UI needs", async () => {
    const api = await apiServing(builtConsole());
    expect((await api.inject("/docs/static/index.html")).headers["content-security-policy"]).not.toBe(consoleContentSecurityPolicy);
  });

  it("answer a 404 problem saying how to build them where they were not built", async () => {
    const api = await apiServing(path.join(tmpdir(), "no-console-here"));
    const page = await api.inject("/console/");
    expect(page.statusCode).toBe(404);
    expect(page.json()).toMatchObject({ code: "not-found", detail: expect.stringContaining("npm run build") });
    expect(page.headers["content-type"]).toMatch(/^application\/problem\+json/);
  });

  it("are not operations of the OpenAPI document", async () => {
    const api = await apiServing(builtConsole());
    const document = (await api.inject("/openapi.json")).json() as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths).filter((p) => p.startsWith("/console"))).toEqual([]);
  });
});
