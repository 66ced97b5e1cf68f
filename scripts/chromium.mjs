/**
 * Finds the Chromium the console's browser tests drive (playwright-core with its
 * executablePath: no browser download, which this project's machines cannot make),
 * and installs Debian's `chromium` package where none is found and we are root.
 *
 *   node scripts/chromium.mjs            prints the binary's path, installing it if need be
 *
 * `.ci/run` runs it before `npm test`; the browser tests call findChromium() /
 * ensureChromium() themselves, so `npm test` on a developer's machine installs it too
 * when run as root, and otherwise skips them with a message saying how to install it.
 *
 * Plain JavaScript: it runs before anything is installed or compiled.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";

const candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium", "/usr/bin/google-chrome"];

/** BP_CHROMIUM_PATH, or the first Chromium found; undefined when there is none. */
export function findChromium(env = process.env) {
  if (env.BP_CHROMIUM_PATH) return existsSync(env.BP_CHROMIUM_PATH) ? env.BP_CHROMIUM_PATH : undefined;
  return candidates.find((file) => existsSync(file));
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/**
 * The Chromium binary's path, after `apt-get install -y chromium` where none is found and this
 * process is root. Where it cannot be had, `{ missing }` says why and how to get it.
 */
export function ensureChromium({ log = (line) => console.log(line) } = {}) {
  const found = findChromium();
  if (found) return { path: found };
  if (process.env.BP_CHROMIUM_PATH) return { missing: `BP_CHROMIUM_PATH is ${process.env.BP_CHROMIUM_PATH}, and there is no such file` };
  if (!isRoot())
    return { missing: "no Chromium found and not root, so not installed: `sudo apt-get install -y chromium` (or set BP_CHROMIUM_PATH)" };
  if (spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status !== 0)
    return { missing: "no Chromium found and no apt-get to install it: install Chromium and set BP_CHROMIUM_PATH" };
  log("Installing Debian's chromium for the console's browser tests (apt-get install -y chromium)…");
  const started = Date.now();
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "chromium", "fonts-dejavu-core"], {
      stdio: "inherit",
      env,
    });
  } catch (error) {
    return { missing: `apt-get install -y chromium failed: ${error.message}` };
  }
  const installed = findChromium();
  if (!installed) return { missing: "apt-get installed chromium, yet no chromium binary was found" };
  log(`Chromium installed in ${Math.round((Date.now() - started) / 1000)} s: ${installed}`);
  return { path: installed };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = ensureChromium();
  if (result.path) console.log(result.path);
  else {
    console.error(result.missing);
    process.exitCode = 1;
  }
}
