import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { root } from "./support/repo.js";

/**
 * The CircleCI pipeline, read as CircleCI reads it (YAML with anchors): every pull-request
 * branch builds, lints and runs the three test layers; main also packages and deploys to
 * Development; a release tag deploys to Staging and, after a manual approval, to Production,
 * and publishes the client. Jobs call the scripts .ci/run calls, which must exist.
 */
type Filters = { branches?: { only?: string | string[]; ignore?: string | string[] }; tags?: { only?: string; ignore?: string } };
type WorkflowJob = { requires?: string[]; filters?: Filters; type?: string; context?: string[] };
type Step = string | Record<string, unknown>;
interface Config {
  version: number;
  commands?: Record<string, { steps: Step[] }>;
  jobs: Record<string, { steps: Step[] }>;
  workflows: Record<string, { jobs: Array<string | Record<string, WorkflowJob>> }>;
}
const config = parse(readFileSync(path.join(root, ".circleci/config.yml"), "utf8"), { merge: true }) as Config;
const packageJson = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };

const [workflow, ...others] = Object.values(config.workflows);
const jobs = new Map(
  workflow!.jobs.map((entry) => (typeof entry === "string" ? [entry, {}] : Object.entries(entry)[0]!) as [string, WorkflowJob]),
);
const job = (name: string) => {
  const found = jobs.get(name);
  if (!found) throw new Error(`the workflow has no job ${name}`);
  return found;
};

/** Every shell command a job runs, its commands' steps included, with their parameters filled in. */
function commandsOf(name: string): string[] {
  const fromSteps = (steps: Step[], parameters: Record<string, unknown> = {}): string[] =>
    steps.flatMap((step) => {
      if (typeof step === "string") return config.commands?.[step] ? fromSteps(config.commands[step].steps) : [];
      const [[key, value]] = Object.entries(step) as [[string, unknown]];
      if (key === "run") {
        const command = typeof value === "string" ? value : String((value as { command: string }).command);
        return [command.replace(/<< parameters\.(\w+) >>/g, (_, parameter: string) => String(parameters[parameter]))];
      }
      if (config.commands?.[key]) return fromSteps(config.commands[key].steps, (value ?? {}) as Record<string, unknown>);
      return [];
    });
  return fromSteps(config.jobs[name]?.steps ?? []);
}

const asList = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const pattern = (value: string) => new RegExp(value.replace(/^\/|\/$/g, ""));
/** Whether CircleCI runs a workflow job on a branch or a tag, by its own filters (requirements are checked apart). */
function runsOn(name: string, ref: { branch: string } | { tag: string }): boolean {
  const filters = job(name).filters ?? {};
  if ("tag" in ref) return filters.tags?.only !== undefined && pattern(filters.tags.only).test(ref.tag);
  const only = asList(filters.branches?.only);
  const ignore = asList(filters.branches?.ignore);
  const matches = (p: string) => (p.startsWith("/") ? pattern(p).test(ref.branch) : p === ref.branch);
  return (only.length === 0 || only.some(matches)) && !ignore.some(matches);
}
/** A job runs when its filters let it and every job it requires runs too. */
const willRun = (name: string, ref: { branch: string } | { tag: string }): boolean =>
  runsOn(name, ref) && (job(name).requires ?? []).every((required) => willRun(required, ref));
const ranOn = (ref: { branch: string } | { tag: string }) => [...jobs.keys()].filter((name) => willRun(name, ref)).sort();

const testing = ["build", "lint", "test-integration", "test-system", "test-unit", "validate-infra"];

describe("the CircleCI pipeline", () => {
  it("is one workflow of jobs that all exist", () => {
    expect(config.version).toBe(2.1);
    expect(others).toEqual([]);
    for (const name of jobs.keys()) if (job(name).type !== "approval") expect(config.jobs[name], name).toBeDefined();
    for (const [name, entry] of jobs)
      for (const required of entry.requires ?? []) expect(jobs.has(required), `${name} requires ${required}`).toBe(true);
  });

  it("builds, lints and runs each test layer with the npm scripts `npm test` runs", () => {
    expect(commandsOf("build")).toEqual(expect.arrayContaining(["npm run check", "npm run build"]));
    expect(commandsOf("lint")).toContain("npm run lint");
    for (const layer of ["unit", "integration", "system"]) expect(commandsOf(`test-${layer}`)).toContain(`npm run test:${layer}`);
    const npmScripts = Object.keys(config.jobs).flatMap((name) =>
      commandsOf(name).flatMap((c) => [...c.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!)),
    );
    for (const script of npmScripts) expect(packageJson.scripts[script], `npm run ${script}`).toBeDefined();
  });

  it("installs with the scripts .ci/run uses, and caches npm's downloads by the lock file", () => {
    const run = readFileSync(path.join(root, ".ci/run"), "utf8");
    const runCommands = run
      .split("\n")
      .filter((line) => line.trim() && !line.startsWith("#") && !line.startsWith("set ") && !line.startsWith("cd "));
    // .ci/run stays: install from scratch, then exactly `npm test`.
    expect(runCommands).toEqual(["bash .ci/java.sh", "bash .ci/chromium.sh", "bash .ci/install.sh", "npm test"]);
    // The system tests drive Chromium (the operator console's browser test): the job installs it as .ci/run does.
    expect(commandsOf("test-system")).toContain("bash .ci/chromium.sh");
    for (const name of testing.filter((job) => job !== "validate-infra")) {
      expect(commandsOf(name).slice(0, 2), name).toEqual(["bash .ci/java.sh", "bash .ci/install.sh"]);
      expect(
        commandsOf(name).some((c) => c.includes("npm ci")),
        `${name} installs through .ci/install.sh`,
      ).toBe(false);
    }
    const install = config.commands?.install?.steps ?? [];
    const restore = install.find((s) => typeof s === "object" && "restore_cache" in s) as { restore_cache: { keys: string[] } };
    const save = install.find((s) => typeof s === "object" && "save_cache" in s) as { save_cache: { key: string; paths: string[] } };
    expect(save.save_cache.key).toContain('{{ checksum "package-lock.json" }}');
    expect(save.save_cache.paths).toContain("~/.npm");
    expect(restore.restore_cache.keys).toContain(save.save_cache.key);
  });

  it("calls only scripts that exist", () => {
    const scripts = Object.keys(config.jobs).flatMap((name) =>
      commandsOf(name).flatMap((c) => [...c.matchAll(/\.ci\/[\w.-]+/g)].map((m) => m[0])),
    );
    expect(scripts).toEqual(
      expect.arrayContaining([
        ".ci/java.sh",
        ".ci/install.sh",
        ".ci/image.sh",
        ".ci/deploy.sh",
        ".ci/pack-client.sh",
        ".ci/publish-client.sh",
        ".ci/validate-infra.sh",
      ]),
    );
    for (const script of new Set(scripts)) expect(existsSync(path.join(root, script)), script).toBe(true);
  });

  it("builds and tests a pull request's branch, and does nothing else with it", () => {
    expect(ranOn({ branch: "feature/faster-search" })).toEqual(testing);
  });

  it("packages the image and the client from main and deploys it to Development", () => {
    expect(ranOn({ branch: "main" })).toEqual([...testing, "deploy-development", "package-client", "package-image"].sort());
    expect(job("deploy-development").requires).toContain("package-image");
    expect(commandsOf("deploy-development").join("\n")).toContain("bash .ci/deploy.sh dev\n");
    expect(commandsOf("package-image").join("\n")).toContain(".ci/image.sh");
    expect(commandsOf("package-client").join("\n")).toContain(".ci/pack-client.sh");
  });

  it("deploys a release to Staging, then to Production after a manual approval, and publishes the client", () => {
    const release = ranOn({ tag: "v1.4.0" });
    expect(release).toEqual(
      [...testing, "package-image", "package-client", "deploy-staging", "approve-production", "deploy-production", "publish-client"].sort(),
    );
    expect(ranOn({ tag: "not-a-release" })).toEqual([]);
    expect(job("approve-production").type).toBe("approval");
    expect(job("approve-production").requires).toEqual(["deploy-staging"]);
    expect(job("deploy-production").requires).toEqual(["approve-production"]);
    expect(job("deploy-staging").requires).toContain("package-image");
    expect(job("publish-client").requires).toEqual(["deploy-production"]);
    expect(commandsOf("publish-client").join("\n")).toContain(".ci/publish-client.sh");
    expect(commandsOf("deploy-staging").join("\n")).toContain("bash .ci/deploy.sh staging\n");
    expect(commandsOf("deploy-production").join("\n")).toContain("bash .ci/deploy.sh prod\n");
  });

  it("gives each environment's deployment its own context", () => {
    const contexts = ["deploy-development", "deploy-staging", "deploy-production"].map((name) => job(name).context?.[0]);
    expect(new Set(contexts).size).toBe(3);
    expect(contexts.every(Boolean)).toBe(true);
  });
});
