import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// The package's public bin name: the file behind it was renamed in dependency-cruiser 18.
const depcruise = path.join(root, "node_modules/.bin/depcruise");

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

function cruise(cwd: string): Violation[] {
  let output: string;
  try {
    output = execFileSync(
      process.execPath,
      [depcruise, "src", "--config", path.join(root, ".dependency-cruiser.cjs"), "--output-type", "json"],
      { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
  } catch (error) {
    // depcruise exits non-zero when it finds violations; its report is still on stdout.
    output = (error as { stdout: string }).stdout;
  }
  return (JSON.parse(output) as { summary: { violations: Violation[] } }).summary.violations;
}

describe("the layer rules", () => {
  const violations = cruise(path.join(root, "test/architecture/fixtures/layer-violations"));
  const found = (rule: string) => violations.filter((v) => v.rule.name === rule).map((v) => `${v.from} -> ${v.to}`);

  it("stop a client from calling an engine", () => {
    expect(found("client-calls-managers-only")).toEqual(["src/client/api/routes.ts -> src/engines/availability/v1/contract.ts"]);
  });

  it("stop a manager from calling another manager, either way round", () => {
    expect(found("no-manager-to-manager").sort()).toEqual([
      "src/managers/booking/manager.ts -> src/managers/onboarding/v1/contract.ts",
      "src/managers/onboarding/manager.ts -> src/managers/booking/v1/contract.ts",
    ]);
  });

  it("let a job in the client layer call a manager through its contract", () => {
    expect(violations.filter((v) => v.from === "src/client/sync/job.ts")).toEqual([]);
  });

  it("stop an engine from calling another engine", () => {
    expect(found("no-engine-to-engine")).toEqual(["src/engines/availability/engine.ts -> src/engines/reservation/v1/contract.ts"]);
  });

  it("stop a resource access from calling another resource access", () => {
    expect(found("no-access-to-access")).toEqual(["src/access/catalog/access.ts -> src/access/booking/v1/contract.ts"]);
  });

  it("stop anything from calling the client layer", () => {
    expect(found("nothing-calls-the-client")).toEqual(["src/utilities/logging/log.ts -> src/client/api/routes.ts"]);
  });

  it("stop a service from importing another service's code instead of its contract", () => {
    expect(found("services-meet-through-contracts")).toContain("src/managers/booking/manager.ts -> src/engines/availability/engine.ts");
  });

  it("let a manager call an engine through its contract", () => {
    expect(violations.filter((v) => v.from === "src/managers/booking/allowed.ts")).toEqual([]);
  });

  it("keep the operator console to the REST API: no import of a service, not even a contract", () => {
    expect(found("console-speaks-rest-only")).toEqual(["src/client/console/page.ts -> src/managers/onboarding/v1/contract.ts"]);
  });

  it("hold for the real code base", () => {
    expect(cruise(root)).toEqual([]);
  });
});
