import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, inject, it } from "vitest";

/**
 * The README's "Try the API" section runs as written: every `sh` block, in order, in one bash
 * session against the running system (its base URL put where the README says
 * http://127.0.0.1:8080). Each request must succeed: curl runs with --fail-with-body, so a 4xx or
 * 5xx answer fails the block. PATH holds only what a fresh Debian machine with the README's
 * prerequisites has (bash, coreutils, curl, Node), so an example that needs uuidgen or jq fails.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const readme = readFileSync(path.join(root, "README.md"), "utf8");
const { apiUrl } = inject("system");

const section = readme.slice(readme.indexOf("\n## Try the API\n"), readme.indexOf("\n## ", readme.indexOf("\n## Try the API\n") + 1));
const blocks = [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1]!.replaceAll("http://127.0.0.1:8080", apiUrl));

const bin = mkdtempSync(path.join(tmpdir(), "bp-readme-bin-"));
afterAll(() => rmSync(bin, { recursive: true, force: true }));
const which = (command: string) => spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" }).stdout.trim();
for (const command of ["bash", "sh", "curl", "cat", "env", "head", "tail", "sed", "tr", "date", "sleep", "rm", "mktemp"]) {
  const found = which(command);
  if (found) symlinkSync(found, path.join(bin, command));
}
symlinkSync(process.execPath, path.join(bin, "node"));

describe("the README's examples", () => {
  it("are there: search, reserve, confirm, look up and cancel", () => {
    expect(section.length).toBeGreaterThan(0);
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    const all = blocks.join("\n");
    for (const step of ["/v1/availability", "/v1/reservations", "/confirm", "/cancel", "Idempotency-Key"]) expect(all).toContain(step);
    for (const block of blocks.filter((b) => b.includes("curl"))) expect(block).toContain("Authorization: Bearer $BP_API_KEY");
  });

  it("run as written, one after the other, and every request succeeds", () => {
    const script = [
      "set -euo pipefail",
      // Fail on an HTTP error as well, printing the problem document it answered.
      'curl() { command curl --fail-with-body "$@"; }',
      ...blocks.flatMap((block, index) => [`echo "--- README block ${index + 1}" >&2`, block]),
    ].join("\n");
    const result = spawnSync(path.join(bin, "bash"), ["-c", script], {
      cwd: mkdtempSync(path.join(tmpdir(), "bp-readme-")),
      env: { PATH: bin, HOME: tmpdir(), LANG: "C.UTF-8" },
      encoding: "utf8",
      timeout: 60_000,
    });
    const failedBlock = result.stderr.match(/--- README block (\d+)/g)?.at(-1);
    expect(result.status, `${failedBlock ?? "before the first block"} failed:\n${result.stderr}\n${result.stdout}`).toBe(0);
    expect(result.stdout).toMatch(/"status":"(held|confirmed)"/);
    expect(result.stdout).toMatch(/"status":"cancelled"/);
  });
});
