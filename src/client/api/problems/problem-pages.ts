import type { FastifyPluginAsync } from "fastify";
import { type ProblemName, problemCatalog, problemNames, problemTypeUri } from "./problem-catalog.js";

/**
 * The pages a problem's `type` points at: `/problems` lists every problem
 * type, `/problems/<name>` says when one happens and what to do about it. Plain
 * HTML from the catalog, so a person following a `type` from a log line or a
 * browser lands on an answer. Not part of the OpenAPI document's operations;
 * the document's description links here.
 */
export const problemPages: FastifyPluginAsync = async (app) => {
  app.get("/problems", { schema: { hide: true } }, async (_request, reply) =>
    reply.type("text/html; charset=utf-8").send(
      page(
        "Problem types",
        `<p>Every error of this API is an <a href="https://www.rfc-editor.org/rfc/rfc9457">RFC 9457</a> problem
<code>application/problem+json</code>. Act on its <code>code</code> (or <code>type</code>), never on its title or detail.</p>
<table><thead><tr><th scope="col">code</th><th scope="col">status</th><th scope="col">title</th></tr></thead><tbody>
${problemNames
  .map(
    (name) =>
      `<tr><td><a href="${problemTypeUri(name)}"><code>${name}</code></a></td><td>${problemCatalog[name].status}</td><td>${escapeHtml(problemCatalog[name].title)}</td></tr>`,
  )
  .join("\n")}
</tbody></table>`,
      ),
    ),
  );

  app.get<{ Params: { name: string } }>("/problems/:name", { schema: { hide: true } }, async (request, reply) => {
    const name = request.params.name as ProblemName;
    if (!Object.hasOwn(problemCatalog, name)) return reply.callNotFound();
    const problem = problemCatalog[name];
    return reply.type("text/html; charset=utf-8").send(
      page(
        `${problem.title} (${problem.status})`,
        `<dl><dt>code</dt><dd><code>${name}</code></dd><dt>type</dt><dd><code>${problemTypeUri(name)}</code></dd>
<dt>HTTP status</dt><dd>${problem.status}</dd></dl>
<p>${inline(problem.when)}</p>
<p><a href="/problems">Every problem type</a> · <a href="/docs">API reference</a></p>`,
      ),
    );
  });
};

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Booking Platform API</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
code{background:#f2f2f2;padding:0 .2em}table{border-collapse:collapse}td,th{padding:.25rem .75rem;border-bottom:1px solid #ddd;text-align:left}
a{color:#0b57d0}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>`;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** `code` spans only: the catalog's texts use nothing else. */
const inline = (text: string) => escapeHtml(text).replace(/`([^`]+)`/g, "<code>$1</code>");
