/**
 * Builds the operator console (src/client/console: TypeScript, Preact) into dist/console/ with
 * Vite: static files the API serves under /console, nothing fetched from elsewhere at run time
 * (the font and the icons are in the bundle). `npm run build` and `npm start` run it after the
 * services' build, and only when its inputs changed: a SHA-256 of every source file of the
 * console and of the typed client it uses, and of the versions that shape the output, is kept
 * in dist/console/.build-stamp; a build that finds it equal takes a few milliseconds.
 *
 * `node scripts/build-console.mjs --dev` serves it from source instead (Vite's dev server on
 * http://127.0.0.1:5173/console/, reloading on change), passing /v1, /problems and /docs to the
 * API of a running `npm start` (BP_CONSOLE_API, default http://127.0.0.1:8080).
 *
 * Plain JavaScript on purpose, like build.mjs: it runs before anything is compiled.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const defaultRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const stampFile = ".build-stamp";

/** The console's folder in src/, its output in dist/, and what its output depends on. */
export const consolePaths = (root) => ({
  source: path.join(root, "src", "client", "console"),
  output: path.join(root, "dist", "console"),
  inputs: [path.join(root, "src", "client", "console"), path.join(root, "packages", "client", "src")],
});

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.endsWith(".spec.ts"))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

function versionOf(root, name) {
  try {
    return JSON.parse(readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return "absent";
  }
}

/** What the output is made from: every input file's path and content, the versions, this script. */
function inputHash(root) {
  const hash = createHash("sha256");
  for (const name of ["vite", "preact", "openapi-fetch", "@fontsource-variable/inter"]) hash.update(`${name}@${versionOf(root, name)}\n`);
  hash.update(readFileSync(fileURLToPath(import.meta.url)));
  for (const file of consolePaths(root).inputs.flatMap(filesUnder)) {
    hash.update(path.relative(root, file));
    hash.update(readFileSync(file));
  }
  return hash.digest("hex");
}

/** The Vite settings of both the build and the dev server. */
export function viteConfig(root, output = consolePaths(root).output) {
  const { source } = consolePaths(root);
  const api = process.env.BP_CONSOLE_API ?? "http://127.0.0.1:8080";
  return {
    configFile: false,
    root: source,
    base: "/console/",
    logLevel: "warn",
    clearScreen: false,
    // Preact's JSX, compiled by Vite's own transformer (no Babel preset needed).
    oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
    resolve: {
      alias: {
        react: "preact/compat",
        "react-dom": "preact/compat",
        // The typed client from its source: no build of packages/client (or workspace link) needed first.
        "@booking-platform/client": path.join(root, "packages", "client", "src", "index.ts"),
      },
    },
    build: {
      outDir: output,
      emptyOutDir: true,
      target: "es2022",
      // Files, never data: URLs, for the font; and no inline script anywhere, so the page runs under a
      // Content-Security-Policy of script-src 'self' with nothing added.
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      reportCompressedSize: false,
      chunkSizeWarningLimit: 200,
    },
    server: {
      host: "127.0.0.1",
      port: 5173,
      strictPort: true,
      proxy: Object.fromEntries(["/v1", "/problems", "/docs", "/openapi.json"].map((prefix) => [prefix, api])),
    },
  };
}

/**
 * Brings dist/console/ up to date with its sources; `log` gets one line saying what it did, with
 * the time it took and the size of what it wrote. Throws when the console does not build.
 * `output` and `force` are for tests: another folder, and a build even when the stamp is current.
 */
export async function buildConsole({
  root = defaultRoot,
  log = (line) => console.log(line),
  output = consolePaths(root).output,
  force = false,
} = {}) {
  const started = performance.now();
  const stampPath = path.join(output, stampFile);
  const hash = inputHash(root);
  if (!force && existsSync(stampPath) && readFileSync(stampPath, "utf8") === hash && existsSync(path.join(output, "index.html"))) {
    log(`Build: the console in dist/console/ is current (${Math.round(performance.now() - started)} ms to check)`);
    return { built: false, ms: Math.round(performance.now() - started), bytes: sizeOf(output) };
  }
  // Vite is a development dependency: loaded only when there is something to build.
  const require = createRequire(path.join(root, "package.json"));
  const vite = await import(pathToFileURL(require.resolve("vite")).href);
  await keepingNodeEnv(() => vite.build(viteConfig(root, output)));
  writeFileSync(stampPath, hash);
  const ms = Math.round(performance.now() - started);
  const bytes = sizeOf(output);
  log(
    `Build: the console built into dist/console/ in ${ms} ms (${formatBytes(bytes.total)}: JavaScript ${formatBytes(bytes.js)}, CSS ${formatBytes(bytes.css)}, font ${formatBytes(bytes.font)})`,
  );
  return { built: true, ms, bytes };
}

/**
 * Runs `work` and puts NODE_ENV back as it was. Vite's build sets NODE_ENV=production in the
 * process that calls it when it is unset, and that process (npm start's, the bench's) then starts
 * every service with its environment: they would take themselves for production and refuse the
 * development settings.
 */
export async function keepingNodeEnv(work) {
  const had = Object.hasOwn(process.env, "NODE_ENV");
  const before = process.env.NODE_ENV;
  try {
    return await work();
  } finally {
    if (had) process.env.NODE_ENV = before;
    else delete process.env.NODE_ENV;
  }
}

function sizeOf(dir) {
  const sizes = { total: 0, js: 0, css: 0, font: 0 };
  for (const file of filesUnder(dir)) {
    if (file.endsWith(stampFile)) continue;
    const size = statSync(file).size;
    sizes.total += size;
    if (file.endsWith(".js")) sizes.js += size;
    else if (file.endsWith(".css")) sizes.css += size;
    else if (file.endsWith(".woff2")) sizes.font += size;
  }
  return sizes;
}

const formatBytes = (n) => (n >= 1024 ? `${(n / 1024).toFixed(1)} kB` : `${n} B`);

// `node scripts/build-console.mjs [--dev]`
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (process.argv.includes("--dev")) {
    const require = createRequire(path.join(defaultRoot, "package.json"));
    const vite = await import(pathToFileURL(require.resolve("vite")).href);
    const server = await vite.createServer(viteConfig(defaultRoot));
    await server.listen();
    console.log(
      `Console (from source): http://127.0.0.1:${server.config.server.port}/console/ — the API at ${process.env.BP_CONSOLE_API ?? "http://127.0.0.1:8080"}`,
    );
  } else {
    try {
      await buildConsole();
    } catch (error) {
      console.error(error.message);
      process.exitCode = 1;
    }
  }
}
