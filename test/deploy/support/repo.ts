import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** True when a compiled path (dist/X.js) has its source (src/X.ts), which every build compiles into it. */
export function sourceExists(compiled: string): boolean {
  const source = compiled.replace(/^dist\//, "src/").replace(/\.js$/, ".ts");
  return source !== compiled && existsSync(path.join(root, source));
}
