import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** The adapter every new one starts as a copy of: a proprietary REST system, the common case. */
export const templateAdapter = "klinikbokning";

const providerDir = "src/access/provider";
const registryFile = `${providerDir}/adapter-registry.ts`;

export interface ScaffoldResult {
  folder: string;
  files: string[];
}

/**
 * Creates adapters/<name>/ as a renamed copy of the template (adapter,
 * simulator, its tests and its conformance test) and wires it into the
 * registry, so that `npm test` passes straight away. The developer then
 * changes the copy to speak the new provider's protocol, one failing
 * conformance test at a time.
 */
export function scaffoldProvider(root: string, name: string): ScaffoldResult {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) {
    throw new Error(`"${name}" is not a usable adapter name: lower-case letters and digits, words joined by dashes (e.g. acme-care)`);
  }
  const source = path.join(root, providerDir, "adapters", templateAdapter);
  const target = path.join(root, providerDir, "adapters", name);
  if (existsSync(target)) throw new Error(`${path.relative(root, target)} exists already`);
  const registryPath = path.join(root, registryFile);
  const registry = readFileSync(registryPath, "utf8");
  if (!registry.includes("// scaffold:imports") || !registry.includes("// scaffold:entries")) {
    throw new Error(`${registryFile} has lost its scaffold:imports / scaffold:entries markers`);
  }

  const rename = renamer(name);
  const files: string[] = [];
  const copy = (from: string, to: string) => {
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      const fromPath = path.join(from, entry.name);
      const toPath = path.join(to, rename(entry.name));
      if (entry.isDirectory()) copy(fromPath, toPath);
      else {
        writeFileSync(toPath, rename(readFileSync(fromPath, "utf8")));
        files.push(path.relative(root, toPath));
      }
    }
  };
  copy(source, target);

  const factory = `create${pascal(name)}Adapter`;
  const key = /^[a-z][a-z0-9]*$/.test(name) ? name : JSON.stringify(name);
  writeFileSync(
    registryPath,
    registry
      .replace("// scaffold:imports", `import { ${factory} } from "./adapters/${name}/${name}-adapter.js";\n// scaffold:imports`)
      .replace("  // scaffold:entries", `  ${key}: ${factory},\n  // scaffold:entries`),
  );
  files.push(registryFile);
  return { folder: path.relative(root, target), files };
}

function renamer(name: string): (text: string) => string {
  const template = templateAdapter;
  return (text) =>
    text
      .replaceAll(pascal(template), pascal(name))
      .replaceAll(template.toUpperCase(), name.toUpperCase().replaceAll("-", "_"))
      .replaceAll(template, name);
}

function pascal(name: string): string {
  return name
    .split("-")
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join("");
}
