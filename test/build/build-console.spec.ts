import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildConsole, keepingNodeEnv } from "../../scripts/build-console.mjs";

/**
 * The console's build runs inside `npm start`'s own process (and the bench's, and the system
 * tests' global setup) just before they start every service with that process's environment.
 */
describe("the console's build", () => {
  const vitestNodeEnv = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = vitestNodeEnv;
  });

  it("leaves NODE_ENV as it found it, unset included: Vite sets it to production, which would make every service started after it refuse the development settings", async () => {
    const output = mkdtempSync(path.join(tmpdir(), "bp-console-build-"));
    try {
      delete process.env.NODE_ENV;
      const result = await buildConsole({ output, force: true, log: () => {} });
      expect(process.env.NODE_ENV).toBeUndefined();
      expect(result.built).toBe(true);
      // What the API serves: the page, its script and style, the font; nothing fetched from elsewhere.
      const html = readFileSync(path.join(output, "index.html"), "utf8");
      expect(html).toMatch(/<script type="module" crossorigin src="\/console\/assets\/[^"]+\.js"><\/script>/);
      expect(html).not.toMatch(/https?:\/\//);
      const assets = readdirSync(path.join(output, "assets"));
      expect(assets.some((file) => file.endsWith(".woff2"))).toBe(true);
      expect(existsSync(path.join(output, ".build-stamp"))).toBe(true);
    } finally {
      rmSync(output, { recursive: true, force: true });
    }
  });

  it("keepingNodeEnv puts back a value that was set, even when the work throws", async () => {
    process.env.NODE_ENV = "development";
    await expect(
      keepingNodeEnv(async () => {
        process.env.NODE_ENV = "production";
        throw new Error("the build failed");
      }),
    ).rejects.toThrow("the build failed");
    expect(process.env.NODE_ENV).toBe("development");
  });
});
