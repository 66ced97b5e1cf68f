import { existsSync } from "node:fs";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsync } from "fastify";
import { sendProblem } from "../problems/problem-details.js";

/**
 * The page the console's own files may use: scripts, styles, the font and calls only from this
 * origin, nothing inline, nothing framed. Stricter than the API's default (which lets /docs run
 * Swagger UI's inline bootstrap), and applied to /console only.
 */
export const consoleContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "font-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join("; ");

/**
 * The operator console (src/client/console, built into dist/console by `npm run build`): static
 * files under /console/, not part of the OpenAPI document. The page calls the public admin API
 * with the operator's key like any client; serving it needs no credential, as it holds none.
 * Where the console was not built, /console/ answers a 404 problem saying how to build it.
 */
export const consoleRoutes: FastifyPluginAsync<{ dir?: string }> = async (app, { dir }) => {
  app.addHook("onSend", async (_request, reply) => {
    reply.header("content-security-policy", consoleContentSecurityPolicy);
  });
  app.get("/console", { schema: { hide: true } }, async (_request, reply) => reply.redirect("/console/", 301));

  if (!dir || !existsSync(path.join(dir, "index.html"))) {
    app.get("/console/*", { schema: { hide: true } }, async (request, reply) =>
      sendProblem(request, reply, "not-found", "the operator console is not built here: `npm run build` builds it into dist/console/"),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: "/console/",
    index: "index.html",
    wildcard: false,
    decorateReply: false,
    // Vite names every asset by its content: it can be kept for good; the page itself is asked for again each time.
    setHeaders: (reply, file) =>
      reply.header("cache-control", file.includes(`${path.sep}assets${path.sep}`) ? "public, max-age=31536000, immutable" : "no-cache"),
  });
};
