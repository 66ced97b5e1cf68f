import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { apiVersion } from "../../src/client/api/build-api.js";

/**
 * The typed client's version is the API's: client X.Y.Z speaks API X.Y.Z. The API says its
 * version in build-api.ts (`apiVersion`), the OpenAPI document carries it (`info.version`), and
 * `npm run generate` sets the client's from the document; this keeps the three equal.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const read = (file: string) => JSON.parse(readFileSync(path.join(root, file), "utf8"));

describe("the typed client's version", () => {
  it("is the API's version, which the committed OpenAPI document carries", () => {
    const documentVersion = (read("openapi/openapi.json") as { info: { version: string } }).info.version;
    const clientVersion = (read("packages/client/package.json") as { version: string }).version;
    expect(documentVersion, "openapi/openapi.json is stale: run `npm run generate`").toBe(apiVersion);
    expect(clientVersion, "run `npm run generate`, which sets the client's version from the document").toBe(apiVersion);
  });
});
