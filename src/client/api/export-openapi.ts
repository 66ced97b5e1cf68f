/**
 * `npm run generate:openapi`: writes openapi/openapi.json from the route
 * schemas. `--check` only compares and exits 1 when the file is stale.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openApiFile, renderOpenApiDocument } from "./openapi-document.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const target = path.join(root, openApiFile);
const fresh = await renderOpenApiDocument();

if (process.argv.includes("--check")) {
  let committed = "";
  try {
    committed = readFileSync(target, "utf8");
  } catch {
    // missing counts as stale
  }
  if (committed !== fresh) {
    console.error(`${openApiFile} is out of date: run npm run generate:openapi`);
    process.exit(1);
  }
  console.log(`${openApiFile} is current`);
} else {
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, fresh);
  console.log(`wrote ${openApiFile}`);
}
