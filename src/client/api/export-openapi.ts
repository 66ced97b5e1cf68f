/**
 * `npm run generate:openapi`: writes the API's generated documents, the OpenAPI
 * document (openapi/openapi.json, from the route schemas) and the problem
 * reference (docs/reference/problems.md, from the problem catalog).
 * `--check` only compares and exits 1 when either is stale.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openApiFile, renderOpenApiDocument } from "./openapi-document.js";
import { problemReferenceFile, renderProblemReference } from "./problems/problem-reference.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const documents = [
  { file: openApiFile, fresh: await renderOpenApiDocument() },
  { file: problemReferenceFile, fresh: renderProblemReference() },
];

let stale = false;
for (const { file, fresh } of documents) {
  const target = path.join(root, file);
  if (process.argv.includes("--check")) {
    let committed = "";
    try {
      committed = readFileSync(target, "utf8");
    } catch {
      // missing counts as stale
    }
    if (committed !== fresh) {
      console.error(`${file} is out of date: run npm run generate:openapi`);
      stale = true;
    } else console.log(`${file} is current`);
  } else {
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, fresh);
    console.log(`wrote ${file}`);
  }
}
if (stale) process.exit(1);
