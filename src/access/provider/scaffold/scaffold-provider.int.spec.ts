import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { scaffoldProvider } from "./scaffold-provider.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/** On a copy of the repository, as a developer would: scaffold, then type-check and test with no other edit. */
describe("npm run provider:new", () => {
  const copy = mkdtempSync(path.join(tmpdir(), "bp-scaffold-"));
  cpSync(root, copy, { recursive: true, filter: (source) => !/[/\\](node_modules|\.git|\.data)$/.test(source) });
  symlinkSync(path.join(root, "node_modules"), path.join(copy, "node_modules"), "dir");
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it("creates an adapter, its simulator and its conformance test, wired into the registry", () => {
    const { folder, files } = scaffoldProvider(copy, "acme-care");
    expect(folder).toBe("src/access/provider/adapters/acme-care");
    expect(files).toEqual(
      expect.arrayContaining([
        `${folder}/acme-care-adapter.ts`,
        `${folder}/acme-care.conformance.int.spec.ts`,
        `${folder}/simulator/acme-care-simulator.ts`,
        "src/access/provider/adapter-registry.ts",
      ]),
    );
    const registry = readFileSync(path.join(copy, "src/access/provider/adapter-registry.ts"), "utf8");
    expect(registry).toContain('"acme-care": createAcmeCareAdapter,');
    expect(readFileSync(path.join(copy, folder, "acme-care-adapter.ts"), "utf8")).not.toMatch(/klinikbokning/i);
  });

  it("leaves a tree that type-checks and whose new conformance test passes", () => {
    const run = (args: string[]) =>
      execFileSync(process.execPath, args, {
        cwd: copy,
        encoding: "utf8",
        stdio: "pipe",
        env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      });
    expect(() => run([path.join(root, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", "."])).not.toThrow();
    const output = run([
      path.join(root, "node_modules/vitest/vitest.mjs"),
      "run",
      "--project",
      "integration",
      "src/access/provider/adapters/acme-care",
    ]);
    expect(output).toMatch(/Tests\s+\S*\d+ passed/);
    expect(output).not.toMatch(/failed/);
  }, 120_000);

  it("refuses a name that exists or cannot be an identifier", () => {
    expect(() => scaffoldProvider(copy, "klinikbokning")).toThrow(/exists already/);
    expect(() => scaffoldProvider(copy, "Acme Care")).toThrow(/not a usable adapter name/);
  });
});
