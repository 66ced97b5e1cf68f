import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { openApiFile, renderOpenApiDocument } from "./openapi-document.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

describe("the committed OpenAPI document", () => {
  it("matches the route schemas (run `npm run generate` if this fails)", async () => {
    expect(readFileSync(path.join(root, openApiFile), "utf8")).toBe(await renderOpenApiDocument());
  });
});
