import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { type Copy, DockerfileParser, type From, type Instruction, type JSONInstruction } from "dockerfile-ast";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { compiledEntry, telemetryRegistration } from "../../scripts/run-entry.mjs";
import { loadTopology } from "../../src/host/topology.js";
import { root, sourceExists } from "./support/repo.js";

/**
 * The Dockerfile, checked without a Docker engine (none runs here): what its stages copy
 * exists and is not excluded from the build context, each stage takes from another only what
 * that stage makes, and the runtime stage holds compiled JavaScript and production
 * dependencies only, runs as a user other than root, checks its health, and runs every
 * entry of topology.json by the convention of scripts/run-entry.mjs.
 */
const dockerfile = DockerfileParser.parse(readFileSync(path.join(root, "Dockerfile"), "utf8"));
const topology = loadTopology(path.join(root, "topology.json"));
const packageJson = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  workspaces: string[];
  scripts: Record<string, string>;
};
/** The one-off commands the image also runs in AWS (infra/: the patient data migration), by the entry their npm script names. */
const oneOffEntries = ["migrate"].map(
  (script) => `src/${/--entry (\S+)/.exec(packageJson.scripts[script] ?? "")![1]!.replace(/\.js$/, ".ts")}`,
);

interface Stage {
  name: string;
  image: string;
  instructions: Instruction[];
}
const defaults = Object.fromEntries(
  dockerfile.getInitialARGs().flatMap((arg) => {
    const property = arg.getProperty();
    return property ? [[property.getName(), property.getValue() ?? ""]] : [];
  }),
);
const expand = (value: string) => value.replace(/\$\{?(\w+)\}?/g, (_, name: string) => defaults[name] ?? "");
const stages: Stage[] = [];
for (const instruction of dockerfile.getInstructions()) {
  if (instruction.getKeyword() === "FROM") {
    const from = instruction as From;
    stages.push({ name: from.getBuildStage() ?? String(stages.length), image: expand(from.getImage() ?? ""), instructions: [] });
  } else {
    stages.at(-1)?.instructions.push(instruction);
  }
}
const runtime = stages.at(-1)!;
const of = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.getKeyword() === keyword);
const args = (instruction: Instruction) => instruction.getArguments().map((a) => a.getValue());
const jsonArgs = (instruction: Instruction) => (instruction as JSONInstruction).getJSONStrings().map((s) => s.getJSONValue());
const copies = (stage: Stage) =>
  of(stage, "COPY").map((instruction) => {
    const parts = args(instruction).filter((a) => !a.startsWith("--"));
    return { from: (instruction as Copy).getFromFlag()?.getValue() ?? undefined, sources: parts.slice(0, -1), destination: parts.at(-1)! };
  });
const workdir = (stage: Stage) => args(of(stage, "WORKDIR").at(-1)!)[0]!;
const runs = (stage: Stage) => of(stage, "RUN").map((instruction) => args(instruction).join(" "));
/** What the runtime stage holds at a path inside WORKDIR, by the COPY that put it there. */
const copiedInto = (stage: Stage, relative: string) =>
  copies(stage).find((copy) =>
    copy.sources.some((source) => {
      const destination = copy.destination.endsWith("/")
        ? path.posix.join(copy.destination, path.posix.basename(source))
        : copy.destination;
      return path.posix.normalize(path.posix.join(workdir(stage), destination)) === path.posix.join(workdir(stage), relative);
    }),
  );

const ignored = readFileSync(path.join(root, ".dockerignore"), "utf8")
  .split("\n")
  .map((line) => line.trim().replace(/^\/|\/$/g, ""))
  .filter((line) => line && !line.startsWith("#"));

describe("the Dockerfile", () => {
  it("builds every stage on Node 24, the runtime on a slim or distroless image", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.image, stage.name).toMatch(/^node:24[.-]|nodejs24/);
    expect(runtime.image).toMatch(/slim|distroless/);
  });

  it("copies only files that exist and that .dockerignore leaves in the build context", () => {
    for (const stage of stages) {
      for (const copy of copies(stage).filter((c) => c.from === undefined)) {
        for (const source of copy.sources) {
          expect(existsSync(path.join(root, source)), `${stage.name}: COPY ${source}`).toBe(true);
          const excludedBy = ignored.find((pattern) => source === pattern || source.startsWith(`${pattern}/`));
          expect(excludedBy, `${stage.name}: COPY ${source} is excluded by .dockerignore`).toBeUndefined();
        }
      }
    }
  });

  it("takes from another stage only what that stage makes", () => {
    for (const [index, stage] of stages.entries()) {
      for (const copy of copies(stage).filter((c) => c.from !== undefined)) {
        const source = stages.slice(0, index).find((s) => s.name === copy.from);
        expect(source, `${stage.name}: COPY --from=${copy.from} names an earlier stage`).toBeDefined();
        for (const file of copy.sources) {
          const made = {
            [path.posix.join(workdir(source!), "node_modules")]: runs(source!).some((run) => /\bnpm ci\b/.test(run)),
            [path.posix.join(workdir(source!), "dist")]:
              runs(source!).includes("node scripts/build.mjs") && copiedInto(source!, "scripts/build.mjs") !== undefined,
          };
          expect(made[file], `${stage.name}: COPY --from=${copy.from} ${file}: nothing in ${copy.from} makes it`).toBe(true);
        }
      }
    }
  });

  it("compiles the sources in its build stage", () => {
    const builder = stages.find((stage) => runs(stage).includes("node scripts/build.mjs"));
    expect(builder, "a stage runs scripts/build.mjs").toBeDefined();
    for (const needed of ["src", "tsconfig.json", "scripts/build.mjs"])
      expect(copiedInto(builder!, needed), `${builder!.name} copies ${needed}`).toBeDefined();
  });

  it("builds the operator console in the same stage, with the typed client it bundles and its workspace installed", () => {
    const builder = stages.find((stage) => runs(stage).includes("node scripts/build.mjs"))!;
    // build.mjs imports build-console.mjs, which bundles packages/client/src (and its openapi-fetch).
    for (const needed of ["scripts/build-console.mjs", "packages/client/src", "packages/client/package.json"])
      expect(copiedInto(builder, needed), `${builder.name} copies ${needed}`).toBeDefined();
    const install = runs(builder).find((run) => /\bnpm ci\b/.test(run));
    expect(install, `${builder.name} installs the client's workspace too`).not.toMatch(/--workspaces=false/);
  });

  it("runs compiled JavaScript with production dependencies only", () => {
    const sources = copies(runtime).flatMap((copy) => copy.sources);
    expect(sources.filter((source) => source === "src" || source.startsWith("src/") || source.endsWith(".ts"))).toEqual([]);
    expect(sources).not.toContain("tsconfig.json");
    const modules = copiedInto(runtime, "node_modules");
    expect(modules?.from, "node_modules comes from an earlier stage").toBeDefined();
    const install = runs(stages.find((s) => s.name === modules!.from)!).find((run) => /\bnpm ci\b/.test(run));
    expect(install).toMatch(/--omit=dev\b/);
    // Without package.json's "type": "module", Node would not load dist/ as ES modules.
    expect(copiedInto(runtime, "package.json")).toBeDefined();
  });

  it("runs as a user other than root and checks its health", () => {
    const user = args(of(runtime, "USER").at(-1)!)[0];
    expect(user).toBeDefined();
    expect(["root", "0", "0:0"]).not.toContain(user);
    expect(of(runtime, "HEALTHCHECK")).toHaveLength(1);
    expect(args(of(runtime, "HEALTHCHECK")[0]!)[0]).toBe("CMD");
  });

  it("runs an entry by the convention of scripts/run-entry.mjs, which it holds", () => {
    const entrypoint = jsonArgs(of(runtime, "ENTRYPOINT").at(-1)!);
    expect(entrypoint).toEqual(["node", "scripts/run-entry.mjs"]);
    expect(copiedInto(runtime, "scripts/run-entry.mjs")?.from).toBeUndefined();
    // The launcher runs before any dependency is loaded: Node's own modules only.
    const imports = [...readFileSync(path.join(root, "scripts/run-entry.mjs"), "utf8").matchAll(/from "([^"]+)"/g)].map((m) => m[1]);
    expect(imports.every((name) => name?.startsWith("node:"))).toBe(true);

    expect(sourceExists(telemetryRegistration)).toBe(true);
    const [defaultEntry] = jsonArgs(of(runtime, "CMD").at(-1)!);
    expect(topology.processes.map((p) => p.entry)).toContain(defaultEntry);
    for (const spec of topology.processes) expect(sourceExists(compiledEntry(spec.entry)), spec.entry).toBe(true);
    expect(() => compiledEntry("src/client/api/server.js")).toThrow();
    expect(compiledEntry("dist/client/catalog-sync/main.js")).toBe("dist/client/catalog-sync/main.js");
  });

  it("holds what the services read at run time: their configuration files", () => {
    expect(copiedInto(runtime, "config")).toBeDefined();
    for (const spec of topology.processes) {
      for (const file of [topology.env.BP_PROVIDERS_FILE, topology.env.BP_SEED_CATALOG, spec.env?.BP_PROVIDERS_FILE].filter(Boolean))
        expect(existsSync(path.join(root, file!)), file).toBe(true);
    }
  });
});

describe("what the image runs", () => {
  /** The packages an entry's import graph reaches, and the repository files it is made of. */
  const importGraph = async (entries: string[]) => {
    const result = await build({
      entryPoints: entries.map((entry) => path.join(root, entry)),
      bundle: true,
      write: false,
      metafile: true,
      platform: "node",
      format: "esm",
      packages: "external",
      outdir: path.join(root, "dist-import-graph"),
      logLevel: "silent",
    });
    const packageOf = (specifier: string) =>
      specifier
        .split("/")
        .slice(0, specifier.startsWith("@") ? 2 : 1)
        .join("/");
    const inputs = Object.values(result.metafile.inputs);
    return {
      files: Object.keys(result.metafile.inputs),
      packages: new Set(
        inputs
          .flatMap((input) => input.imports)
          .filter((imported) => imported.external && !imported.path.startsWith("node:") && !builtinModules.includes(imported.path))
          .map((imported) => packageOf(imported.path)),
      ),
    };
  };
  const bareImports = async (entries: string[]) => (await importGraph(entries)).packages;

  it("needs production dependencies only, from every entry", async () => {
    const entries = [
      ...topology.processes.map((p) => p.entry),
      ...oneOffEntries,
      telemetryRegistration.replace(/^dist\//, "src/").replace(/\.js$/, ".ts"),
    ];
    for (const entry of oneOffEntries) expect(sourceExists(compiledEntry(entry)), entry).toBe(true);
    const needed = await bareImports(entries);
    expect(needed.size).toBeGreaterThan(5);
    expect([...needed].filter((name) => !(name in packageJson.dependencies))).toEqual([]);
  }, 30_000);

  it("npm start's host does not import the typed client, whose compiled form only exists once it is packed", async () => {
    const { files, packages } = await importGraph(["src/host/start.ts"]);
    expect(files, "the graph reaches the runner").toContain("src/host/system-runner.ts");
    // Neither as the package nor, through tsconfig.json's paths, as its sources.
    expect(packages.has("@booking-platform/client")).toBe(false);
    expect(files.filter((file) => file.startsWith("packages/client/"))).toEqual([]);
  }, 30_000);
});
