import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

/**
 * The client as Vården gets it: the tarball `npm pack` makes, installed into a project of its
 * own (nothing of this repository on its module path), and the code of the package's README
 * compiled there with a consumer's strictest settings and run against the running system.
 */
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(packageRoot, "../..");
const tsc = path.join(repoRoot, "node_modules/typescript/bin/tsc");
const apiKey = (JSON.parse(readFileSync(path.join(repoRoot, "topology.json"), "utf8")) as { env: Record<string, string> }).env
  .BP_DEV_API_KEY!;
const { apiUrl } = inject("system");

const run = (command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) =>
  execFileSync(command, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** The README's TypeScript blocks, in order: together they are one program. */
const readmeProgram = () =>
  [...readFileSync(path.join(packageRoot, "README.md"), "utf8").matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]).join("\n");

let scratch: string;
let files: string[];

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), "bp-client-consumer-"));
  // `npm pack` runs the package's prepack, which builds dist/ from src/.
  const [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", scratch], packageRoot)) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  files = packed!.files.map((file) => file.path);
  writeFileSync(path.join(scratch, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  // --prefer-offline: openapi-fetch comes from npm's cache when it is there, as it is after this repository's install.
  run(
    "npm",
    ["install", path.join(scratch, packed!.filename), "--prefer-offline", "--no-audit", "--no-fund", "--no-package-lock"],
    scratch,
  );
  writeFileSync(path.join(scratch, "main.ts"), readmeProgram());
}, 120_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const compile = (dir: string, compilerOptions: Record<string, unknown>) => {
  writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        // The package's declarations are checked too, as a consumer's strictest build would.
        skipLibCheck: false,
        types: ["node"],
        typeRoots: [path.join(repoRoot, "node_modules/@types")],
        outDir: "out",
        ...compilerOptions,
      },
      files: ["main.ts"],
    }),
  );
  try {
    run(process.execPath, [tsc, "-p", "tsconfig.json"], dir);
  } catch (error) {
    throw new Error(`tsc failed:\n${(error as { stdout?: string }).stdout}`);
  }
};

describe("the packed typed client", () => {
  it("ships compiled JavaScript, declarations and the README, and no tests or sources", () => {
    expect(files).toEqual(expect.arrayContaining(["package.json", "README.md", "dist/index.js", "dist/index.d.ts"]));
    expect(files.filter((file) => /(^|\/)test\/|\.(spec|test)\.|\.ts$/.test(file) && !file.endsWith(".d.ts"))).toEqual([]);
  });

  it.each([
    ["node16", { module: "node16", moduleResolution: "node16" }],
    ["bundler", { module: "esnext", moduleResolution: "bundler" }],
  ])(
    "compiles the README's code with moduleResolution %s, and it searches, reserves and cancels against the running system",
    (name, options) => {
      const dir = path.join(scratch, name);
      mkdirSync(dir);
      writeFileSync(path.join(dir, "main.ts"), readmeProgram());
      // The consumer's own package.json, type module, and its node_modules one level up: Node's resolution finds both.
      writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
      compile(dir, options);
      const output = run(process.execPath, [path.join(dir, "out/main.js")], dir, {
        ...process.env,
        BP_API_URL: apiUrl,
        BP_API_KEY: apiKey,
      });
      expect(output).toMatch(/^first free: /m);
      expect(output).toMatch(/^reservation \S+: (held|confirmed)$/m);
      expect(output).toMatch(/^now cancelled$/m);
      expect(output).toMatch(/^\d+ slots from \S+ to \S+$/m);
    },
  );

  it("works from CommonJS with moduleResolution node10 too", () => {
    const dir = path.join(scratch, "node10");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "commonjs" }));
    writeFileSync(
      path.join(dir, "main.ts"),
      [
        'import { createBookingClient, type Treatment } from "@booking-platform/client";',
        "const client = createBookingClient({ baseUrl: process.argv[2]!, apiKey: process.argv[3] });",
        'client.GET("/v1/treatments").then(({ data }) => { const treatments: Treatment[] = data?.items ?? []; console.log(treatments.length); });',
      ].join("\n"),
    );
    compile(dir, { module: "commonjs", moduleResolution: "node10", ignoreDeprecations: "5.0" });
    expect(Number(run(process.execPath, [path.join(dir, "out/main.js"), apiUrl, apiKey], dir))).toBeGreaterThan(0);
  });
});
