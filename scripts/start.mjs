/**
 * `npm start`: checks the Node version, brings dist/ up to date (scripts/build.mjs), then
 * runs the host, dist/host/start.js, in this same process. Arguments pass through:
 * `npm start -- --in-memory`. Plain JavaScript: no TypeScript loader runs anywhere.
 *
 * `node scripts/start.mjs --entry <file under dist/> …` runs another compiled entry the same
 * way (`npm run keys`, `npm run sync`).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const required = 24;

// Checked before anything else is loaded: the platform's libraries need Node 24 and fail in obscure ways on older ones.
if (Number(process.versions.node.split(".")[0]) < required) {
  const bundled = existsSync(path.join(root, "node_modules", ".bin", "node"));
  console.error(
    [
      `The Booking Platform needs Node ${required} or newer; this is Node ${process.versions.node} (${process.execPath}).`,
      bundled
        ? "Start it through npm (`npm start`): npm scripts put node_modules/.bin first on PATH, where `npm install` placed Node 24."
        : "Run `npm install` without --omit=optional: it brings Node 24 as the npm package `node`, which npm scripts then use.",
      "Or install Node 24 yourself (nvm install 24, or your distribution's package).",
    ].join("\n"),
  );
  process.exit(1);
}

const entryFlag = process.argv.indexOf("--entry");
let entry = path.join("host", "start.js");
if (entryFlag >= 0) {
  entry = process.argv[entryFlag + 1] ?? "";
  // The entry sees its own arguments only, as if it had been started directly.
  process.argv.splice(entryFlag, 2);
}

const { buildDist } = await import("./build.mjs");
try {
  // A tool's output may be read by a script (a new key, say): the build's line goes to stderr then.
  // The tools (keys, sync, migrate) serve no page: the console is built for the system only.
  await buildDist({ root, log: entryFlag >= 0 ? (line) => console.error(line) : undefined, withConsole: entryFlag < 0 });
} catch {
  // esbuild has printed what does not compile, with file and line.
  process.exit(1);
}
await import(pathToFileURL(path.join(root, "dist", entry)).href);
