/**
 * `npm run build` (and the first step of `npm start`): compiles src/ into dist/, one
 * JavaScript file (and its source map) per TypeScript file, so that every running process
 * is plain JavaScript on Node with no TypeScript loader: src/access/catalog/server.ts
 * becomes dist/access/catalog/server.js.
 *
 * esbuild transpiles each file on its own, nothing is bundled (imports of packages and of
 * other files stay imports). tsconfig.json has `isolatedModules` and `verbatimModuleSyntax`,
 * so transpiling file by file gives what tsc would emit; type checking stays in `npm test`
 * (`npm run check`). Only what is stale is compiled (no output yet, or a source newer than
 * its output) and outputs whose source is gone are removed, so a build that finds nothing
 * to do takes a few milliseconds and a full one well under a second.
 *
 * The operator console (src/client/console) is browser code: it is left out here and bundled
 * with Vite by build-console.mjs into dist/console/, which buildDist runs afterwards (only when
 * the console's sources changed) and whose output it never removes.
 *
 * Plain JavaScript on purpose: it must itself run without a TypeScript loader.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build, version as esbuildVersion, stop } from "esbuild";
import { buildConsole } from "./build-console.mjs";

const defaultRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** How every file is compiled; a change here (or a new esbuild) makes the next build compile everything. */
const esbuildOptions = {
  platform: "node",
  format: "esm",
  target: "node24",
  bundle: false,
  packages: "external",
  sourcemap: "linked",
  // Source maps point at the files in src/ rather than carrying a copy of them.
  sourcesContent: false,
  logLevel: "warning",
};
const stampFile = ".build-stamp";

/** The operator console (src/client/console) runs in a browser: build-console.mjs bundles it into dist/console/. */
const under = (folder) => (file) => file === folder || file.startsWith(`${folder}${path.sep}`);
const inConsole = under(path.join("client", "console"));
const consoleOutput = under("console");

/** True for the TypeScript files that become part of dist/: not tests, not declarations, not the console's. */
const isCompiled = (file) => file.endsWith(".ts") && !file.endsWith(".spec.ts") && !file.endsWith(".d.ts") && !inConsole(file);

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

const mtime = (file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs;

/**
 * Brings dist/ up to date with src/ and returns what it did; `log` gets one line saying so (and
 * one for the console, unless `withConsole` is false: the command-line tools do not serve it).
 * Throws (after esbuild or Vite has printed the errors) when a file does not compile.
 */
export async function buildDist({ root = defaultRoot, log = (line) => console.log(line), withConsole = true } = {}) {
  const started = performance.now();
  const srcDir = path.join(root, "src");
  const distDir = path.join(root, "dist");
  const sources = filesUnder(srcDir).filter(isCompiled);
  const outputOf = (source) => source.replace(/\.ts$/, ".js");

  const stamp = JSON.stringify({ esbuild: esbuildVersion, options: esbuildOptions });
  const stampPath = path.join(distDir, stampFile);
  const sameSettings = existsSync(stampPath) && readFileSync(stampPath, "utf8") === stamp;

  const stale = sources.filter((source) => {
    if (!sameSettings) return true;
    const built = mtime(path.join(distDir, outputOf(source)));
    return built === undefined || mtime(path.join(srcDir, source)) > built;
  });

  const expected = new Set(sources.flatMap((source) => [outputOf(source), `${outputOf(source)}.map`]));
  const orphans = filesUnder(distDir).filter((file) => file !== stampFile && !consoleOutput(file) && !expected.has(file));
  for (const file of orphans) rmSync(path.join(distDir, file));
  if (orphans.length > 0) removeEmptyFolders(distDir);

  if (stale.length > 0) {
    try {
      await build({ ...esbuildOptions, entryPoints: stale.map((source) => path.join(srcDir, source)), outbase: srcDir, outdir: distDir });
    } finally {
      // esbuild keeps a service process for further builds; none come, and npm start must not leave it running beside the system.
      await stop();
    }
    mkdirSync(distDir, { recursive: true });
    writeFileSync(stampPath, stamp);
  }

  const ms = Math.round(performance.now() - started);
  const gone = orphans.filter((file) => file.endsWith(".js")).length;
  const removed = orphans.length > 0 ? `; the output of ${gone} deleted source file${gone === 1 ? "" : "s"} removed` : "";
  log(
    stale.length > 0
      ? `Build: ${stale.length} changed source file${stale.length === 1 ? "" : "s"} compiled in ${ms} ms${removed} (${sources.length} in dist/)`
      : `Build: dist/ is current (${sources.length} files)${removed}`,
  );
  const consoleBuild = withConsole ? await buildConsole({ root, log }) : undefined;
  return { compiled: stale.length, removed: gone, total: sources.length, ms, console: consoleBuild };
}

function removeEmptyFolders(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const sub = path.join(dir, entry.name);
    removeEmptyFolders(sub);
    if (readdirSync(sub).length === 0) rmSync(sub, { recursive: true });
  }
}

// `node scripts/build.mjs`
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  try {
    await buildDist();
  } catch {
    // esbuild has already printed what does not compile, with file and line.
    process.exitCode = 1;
  }
}
