import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));
const packageRoot = path.resolve(here, "..");
const repoRoot = path.resolve(packageRoot, "../..");

describe("the typed client", () => {
  it("is generated from the committed OpenAPI document (run `npm run generate` if this fails)", () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), "client-")), "schema.ts");
    execFileSync(
      process.execPath,
      [path.join(repoRoot, "node_modules/openapi-typescript/bin/cli.js"), "../../openapi/openapi.json", "-o", out],
      { cwd: packageRoot, stdio: "pipe" },
    );
    expect(readFileSync(path.join(here, "generated/schema.ts"), "utf8")).toBe(readFileSync(out, "utf8"));
  });
});
