import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { parse } from "@cdktf/hcl2json";
import { beforeAll, describe, expect, it } from "vitest";
import { loadTopology } from "../../src/host/topology.js";
import { ensureTable } from "../../src/utilities/dynamodb/table-design.js";
import { root } from "./support/repo.js";

/**
 * infra/, read as Terraform reads it (HCL, parsed by @cdktf/hcl2json; no Terraform binary runs
 * here): every module call gives the module only inputs it declares and every input it
 * requires; every environment runs each service of topology.json as an ECS service with its own
 * IAM role (and each job as this file says AWS runs it: the reconciler as a scheduled task, the
 * catalog sync on AWS Batch), with the entry and port topology.json gives it; the patient data
 * migration is a one-off task; the table is the one the code creates; and each role grants what
 * its process uses and nothing more.
 */
type Block = Record<string, unknown>;
interface Module {
  dir: string;
  variable: Record<string, Block[]>;
  module: Record<string, Block[]>;
  resource: Record<string, Record<string, Block[]>>;
  locals: Block[];
}
interface Call {
  name: string;
  args: Block;
  /** The called module's directory, relative to the repository; undefined for a registry module. */
  dir: string | undefined;
  parent: Module;
}

const infra = path.join(root, "infra");
const topology = loadTopology(path.join(root, "topology.json"));
const metaArguments = new Set(["source", "version", "count", "for_each", "providers", "depends_on"]);
const modules = new Map<string, Module>();

async function load(dir: string): Promise<Module> {
  const known = modules.get(dir);
  if (known) return known;
  const loaded: Module = { dir, variable: {}, module: {}, resource: {}, locals: [] };
  for (const file of readdirSync(path.join(root, dir)).filter((f) => f.endsWith(".tf"))) {
    const parsed = (await parse(file, readFileSync(path.join(root, dir, file), "utf8"))) as Partial<Module>;
    Object.assign(loaded.variable, parsed.variable);
    Object.assign(loaded.module, parsed.module);
    for (const [type, named] of Object.entries(parsed.resource ?? {})) loaded.resource[type] = { ...loaded.resource[type], ...named };
    loaded.locals.push(...(parsed.locals ?? []));
  }
  modules.set(dir, loaded);
  return loaded;
}

const callsOf = (module: Module): Call[] =>
  Object.entries(module.module).map(([name, [args]]) => {
    const source = String(args!.source);
    return { name, args: args!, dir: source.startsWith(".") ? path.join(module.dir, source) : undefined, parent: module };
  });

/** Every module call under an environment root, depth first. */
async function tree(dir: string): Promise<Call[]> {
  const calls: Call[] = [];
  for (const call of callsOf(await load(dir))) {
    calls.push(call);
    if (call.dir) calls.push(...(await tree(call.dir)));
  }
  return calls;
}

const environments = readdirSync(path.join(infra, "environments"));
const moduleDirs = readdirSync(path.join(infra, "modules")).map((name) => path.join("infra/modules", name));
const trees = new Map<string, Call[]>();
let platform: Module;

beforeAll(async () => {
  for (const env of environments) trees.set(env, await tree(path.join("infra/environments", env)));
  for (const dir of moduleDirs) await load(dir);
  platform = await load("infra/modules/platform");
});

/** How hcl2json writes an HCL expression: `${expression}`. */
const interpolation = (expression: string) => `\${${expression}}`;
const local = (module: Module, name: string) => module.locals.find((l) => name in l)?.[name];
/** A module argument's value, with `local.x["k"]` and `local.x.k` looked up in the calling module. */
function resolve(call: Call, argument: string): unknown {
  const value = call.args[argument];
  const reference = typeof value === "string" ? /^\$\{local\.(\w+)(?:\["([^"]+)"\]|\.([\w-]+))\}$/.exec(value) : null;
  if (!reference) return value;
  return (local(call.parent, reference[1]!) as Record<string, unknown> | undefined)?.[reference[2] ?? reference[3]!];
}
const callsTo = (calls: Call[], module: string) => calls.filter((c) => c.dir === path.join("infra/modules", module));
/** Every string in an argument's value (an expression, or a list or map of them), for looking into. */
const textOf = (value: unknown): string =>
  typeof value === "string" ? value : value && typeof value === "object" ? Object.values(value).map(textOf).join(" ") : "";
const platformCall = (name: string) => {
  const call = callsOf(platform).find((c) => c.args.name === name);
  if (!call) throw new Error(`infra/modules/platform runs no ${name}`);
  return call;
};

describe("infra/ (Terraform)", () => {
  it("has a root for each environment and parses everywhere", () => {
    expect(environments.sort()).toEqual(["dev", "prod", "staging"]);
    expect(modules.size).toBeGreaterThanOrEqual(moduleDirs.length);
  });

  it("gives each module only the inputs it declares, and every input it requires", async () => {
    const problems: string[] = [];
    const allCalls = [...new Set([...trees.values()].flat())];
    expect(allCalls.length).toBeGreaterThan(10);
    for (const call of allCalls.filter((c) => c.dir)) {
      expect(existsSync(path.join(root, call.dir!)), `${call.parent.dir}: module ${call.name} → ${call.dir}`).toBe(true);
      const called = await load(call.dir!);
      const given = Object.keys(call.args).filter((arg) => !metaArguments.has(arg));
      for (const arg of given)
        if (!called.variable[arg]) problems.push(`${call.parent.dir} gives ${call.dir} "${arg}", which it does not declare`);
      for (const [name, [declaration]] of Object.entries(called.variable))
        if (!("default" in declaration!) && !given.includes(name))
          problems.push(`${call.parent.dir} leaves out ${call.dir}'s required "${name}"`);
    }
    expect(problems).toEqual([]);
  });

  const services = topology.processes.filter((p) => p.layer !== "simulator");

  /**
   * How AWS runs each job (a process of topology.json without a port, which npm start runs in a
   * loop), and the arguments that make one run of it do its work once and exit.
   */
  const jobs: Record<string, { module: "scheduled-task" | "batch-job"; arguments: string[] }> = {
    // A short run every minute: a scheduled ECS task.
    reconciler: { module: "scheduled-task", arguments: ["--once"] },
    // Every provider instance's catalog, which may take many minutes: AWS Batch, retried, on a schedule.
    "catalog-sync": { module: "batch-job", arguments: ["--all"] },
  };
  it("says how AWS runs every job of topology.json", () => {
    expect(Object.keys(jobs).sort()).toEqual(
      services
        .filter((s) => s.port === undefined)
        .map((s) => s.name)
        .sort(),
    );
  });

  it.each(environments.flatMap((env) => services.map((spec) => [env, spec.name, spec] as const)))(
    "%s runs %s with its topology entry and port, and a role of its own",
    async (env, name, spec) => {
      const calls = trees.get(env)!;
      const job = spec.port === undefined ? jobs[name] : undefined;
      const kind = spec.port === undefined ? job?.module : "ecs-service";
      expect(kind, `${name} is a job: this test's jobs say how AWS runs it`).toBeDefined();
      const matching = callsTo(calls, kind!).filter((c) => c.args.name === name);
      expect(matching, `${env} has one ${kind} named ${name}`).toHaveLength(1);
      const call = matching[0]!;
      expect(call.args.entry).toBe(spec.entry);
      if (job) {
        // A job: the schedule starts one run, which does its work once.
        expect(call.args.arguments).toEqual(job.arguments);
      } else {
        expect(resolve(call, "port")).toBe(spec.port);
      }
      // Its module makes the ECS service (or schedule), a task definition and that task's own role.
      const module = await load(call.dir!);
      const resources = async (m: Module): Promise<Module["resource"][]> => [
        m.resource,
        ...(
          await Promise.all(
            callsOf(m)
              .filter((c) => c.dir)
              .map(async (c) => resources(await load(c.dir!))),
          )
        ).flat(),
      ];
      const all = await resources(module);
      const find = (type: string) => all.flatMap((r) => Object.values(r[type] ?? {}).flat());
      expect(find(spec.port === undefined ? "aws_scheduler_schedule" : "aws_ecs_service")).toHaveLength(1);
      if (kind === "batch-job") {
        // A Batch job's container runs with the job role (jobRoleArn) of its own module.
        const [jobDefinition] = find("aws_batch_job_definition");
        expect(String(jobDefinition?.container_properties)).toMatch(/\bjobRoleArn\s*=\s*aws_iam_role\.job\.arn\b/);
        expect(all.some((r) => r.aws_iam_role?.job)).toBe(true);
      } else {
        const [taskDefinition] = find("aws_ecs_task_definition");
        expect(taskDefinition?.task_role_arn).toBe(interpolation("aws_iam_role.task.arn"));
        expect(all.some((r) => r.aws_iam_role?.task)).toBe(true);
      }
    },
  );

  it("finds each service where topology.json puts it: the ports the URLs are made of", () => {
    const ports = local(platform, "ports") as Record<string, number>;
    expect(ports).toEqual(
      Object.fromEntries(topology.processes.filter((p) => p.layer !== "simulator" && p.port).map((p) => [p.name, p.port])),
    );
  });

  it("makes the table the code makes: its keys, index and TTL attribute, with recovery and a key of its own", async () => {
    // What ensureTable asks DynamoDB for, caught on the way (no DynamoDB needed).
    const sent: Array<{ name: string; input: Record<string, unknown> }> = [];
    const client = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        sent.push({ name: command.constructor.name, input: command.input });
        return command.constructor.name === "DescribeTableCommand" ? { Table: { TableStatus: "ACTIVE" } } : {};
      },
    } as unknown as DynamoDBClient;
    await ensureTable(client, "booking-platform");
    const created = sent.find((s) => s.name === "CreateTableCommand")!.input as {
      KeySchema: Array<{ AttributeName: string; KeyType: string }>;
      AttributeDefinitions: Array<{ AttributeName: string; AttributeType: string }>;
      GlobalSecondaryIndexes: Array<{
        IndexName: string;
        KeySchema: Array<{ AttributeName: string; KeyType: string }>;
        Projection: { ProjectionType: string };
      }>;
    };
    const ttl = sent.find((s) => s.name === "UpdateTimeToLiveCommand")!.input as { TimeToLiveSpecification: { AttributeName: string } };
    const keyOf = (schema: Array<{ AttributeName: string; KeyType: string }>, type: string) =>
      schema.find((k) => k.KeyType === type)?.AttributeName;

    const [table] = Object.values((await load("infra/modules/dynamodb-table")).resource.aws_dynamodb_table!)[0]! as Array<
      Record<string, unknown>
    >;
    expect(table!.hash_key).toBe(keyOf(created.KeySchema, "HASH"));
    expect(table!.range_key).toBe(keyOf(created.KeySchema, "RANGE"));
    expect(table!.attribute).toEqual(created.AttributeDefinitions.map((a) => ({ name: a.AttributeName, type: a.AttributeType })));
    expect(table!.global_secondary_index).toEqual(
      created.GlobalSecondaryIndexes.map((index) => ({
        name: index.IndexName,
        hash_key: keyOf(index.KeySchema, "HASH"),
        range_key: keyOf(index.KeySchema, "RANGE"),
        projection_type: index.Projection.ProjectionType,
      })),
    );
    expect(table!.ttl).toEqual([{ attribute_name: ttl.TimeToLiveSpecification.AttributeName, enabled: true }]);
    expect(table!.point_in_time_recovery).toEqual([{ enabled: true }]);
    expect(table!.server_side_encryption).toEqual([{ enabled: true, kms_key_arn: interpolation("var.kms_key_arn") }]);

    // The key is a customer managed one, rotated.
    const tableCall = callsOf(platform).find((c) => c.dir === "infra/modules/dynamodb-table")!;
    const keyModule = /^\$\{module\.(\w+)\.arn\}$/.exec(String(tableCall.args.kms_key_arn))?.[1];
    expect(callsOf(platform).find((c) => c.name === keyModule)?.dir).toBe("infra/modules/kms-key");
    const [key] = Object.values((await load("infra/modules/kms-key")).resource.aws_kms_key!)[0]! as Array<Record<string, unknown>>;
    expect(key!.enable_key_rotation).toBe(true);
  });

  /**
   * What each process's role may do: table actions, keys (and what it does with them), secrets it
   * is given at start, and secrets it may read on use. The least each one needs, read off its
   * code: where the code sends a DynamoDB command, a transaction's item actions included (IAM
   * authorises Put, Update, Delete and ConditionCheck in a TransactWriteItems one by one);
   * DescribeTable where it prepares the table at start (prepareTable, on AWS only a describe);
   * the AWS Encryption SDK with a KMS key generates a data key and decrypts it, never kms:Encrypt.
   */
  type Privileges = { table: string[]; keys: string[]; secrets: string[] };
  const patientDataKey = { keys: ["patient_data_key"] };
  const privileges: Record<string, Privileges> = {
    "catalog-access": {
      // The catalog in batches; provider catalogs and their syncs in transactions.
      table: ["DescribeTable", "GetItem", "BatchGetItem", "Query", "BatchWriteItem", "PutItem", "UpdateItem", "DeleteItem"],
      keys: [],
      secrets: ["BP_PLATFORM_TOKEN"],
    },
    "booking-access": {
      // Its transactions put, update and delete; none makes a condition check of its own.
      table: ["DescribeTable", "GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem"],
      ...patientDataKey,
      secrets: ["BP_PLATFORM_TOKEN"],
    },
    "provider-access": {
      // Provider instances are items: get, query, and transactions that put an instance and update the version stamp.
      table: ["DescribeTable", "GetItem", "Query", "PutItem", "UpdateItem"],
      keys: [],
      secrets: ["BP_PLATFORM_TOKEN", "provider credentials", "onboarded providers' credentials (on use)"],
    },
    "availability-engine": { table: [], keys: [], secrets: ["BP_PLATFORM_TOKEN", "BP_SLOT_TOKEN_SECRET"] },
    "reservation-engine": { table: [], keys: [], secrets: ["BP_PLATFORM_TOKEN"] },
    "booking-manager": { table: [], keys: [], secrets: ["BP_PLATFORM_TOKEN", "BP_PATIENT_ID_SECRET"] },
    "onboarding-manager": { table: [], keys: [], secrets: ["BP_PLATFORM_TOKEN"] },
    // It verifies API keys (one GetItem each); listing and making keys is `npm run keys`, not the API.
    api: { table: ["GetItem"], keys: [], secrets: ["BP_PLATFORM_TOKEN"] },
    reconciler: { table: [], keys: [], secrets: ["BP_PLATFORM_TOKEN"] },
    "catalog-sync": { table: [], keys: [], secrets: ["BP_PLATFORM_TOKEN"] },
  };
  /** One-off tasks an operator runs in AWS: what package.json's script runs locally, and what its role may do. */
  const oneOffs: Record<string, { script: string; arguments: string[] } & Privileges> = {
    // npm run migrate -- patient-data: scan for reservations, each migrated in one transaction (update it,
    // put the alias), an item that changed meanwhile read again; the previous id secret only during a rotation.
    "migrate-patient-data": {
      script: "migrate",
      arguments: ["patient-data"],
      table: ["Scan", "GetItem", "UpdateItem", "PutItem"],
      ...patientDataKey,
      secrets: ["BP_PATIENT_ID_SECRET", "BP_PATIENT_ID_SECRET_PREVIOUS (on use)"],
    },
  };

  /** What a call to ecs-service, scheduled-task, batch-job or task-definition lets its role do. */
  async function grantsOf(call: Call) {
    const table = ((call.args.table_actions as string[] | undefined) ?? []).map((action) => action.replace(/^dynamodb:/, ""));
    const keys = ((call.args.kms_key_arns as string[] | undefined) ?? []).map((arn) => /module\.(\w+)\.arn/.exec(arn)?.[1]);
    const taskDefinition = await load("infra/modules/task-definition");
    const keyActions = (call.args.kms_actions ?? taskDefinition.variable.kms_actions?.[0]?.default) as string[];
    const given = textOf(call.args.secret_ids);
    const onUse = textOf(call.args.readable_secret_arns);
    const secrets = [
      ...(given.includes("local.platform_token") ? ["BP_PLATFORM_TOKEN"] : []),
      ...[...given.matchAll(/local\.secrets\["(\w+)"\]/g)].map((m) => m[1]!),
      ...(given.includes("var.provider_credentials") ? ["provider credentials"] : []),
      ...[...onUse.matchAll(/local\.secrets\["(\w+)"\]/g)].map((m) => `${m[1]!} (on use)`),
      ...(onUse.includes("local.provider_secrets") ? ["onboarded providers' credentials (on use)"] : []),
    ];
    return { table, hasTable: call.args.table_arn !== undefined, keys, keyActions, secrets };
  }
  const expectGrants = async (call: Call, expected: Privileges, entry: string) => {
    const granted = await grantsOf(call);
    expect(granted.table.sort()).toEqual([...expected.table].sort());
    expect(granted.hasTable).toBe(expected.table.length > 0);
    // On AWS a process describes the table exactly when its entry prepares it at start.
    const prepares = readFileSync(path.join(root, entry), "utf8").includes("prepareTable(");
    expect(granted.table.includes("DescribeTable"), `${entry} ${prepares ? "calls" : "does not call"} prepareTable`).toBe(prepares);
    expect(granted.keys).toEqual(expected.keys);
    if (expected.keys.length > 0) expect([...granted.keyActions].sort()).toEqual(["kms:Decrypt", "kms:GenerateDataKey"]);
    expect(granted.secrets.sort()).toEqual([...expected.secrets].sort());
  };

  it.each(Object.entries(privileges))("lets %s do what it uses and nothing more", async (name, expected) => {
    await expectGrants(platformCall(name), expected, services.find((s) => s.name === name)!.entry);
  });

  it("covers every process of topology.json but the simulators in that list", () => {
    expect(Object.keys(privileges).sort()).toEqual(services.map((s) => s.name).sort());
  });

  it("lets provider-access read the secrets onboarded instances name under its environment's prefix, and no others", () => {
    const environmentPrefix = `booking-platform/${interpolation("var.environment")}`;
    expect(local(platform, "provider_secret_prefix")).toBe(`${environmentPrefix}/providers/`);
    const account = interpolation("data.aws_caller_identity.current.account_id");
    expect(local(platform, "provider_secrets")).toEqual([
      `arn:${interpolation("data.aws_partition.current.partition")}:secretsmanager:${interpolation("var.region")}:${account}:secret:${interpolation("local.provider_secret_prefix")}*`,
    ]);
    // The secrets Terraform makes are booking-platform/<environment>/<NAME>: none of them under that prefix.
    expect(callsOf(platform).find((c) => c.dir === "infra/modules/secrets")?.args.prefix).toBe(environmentPrefix);
    expect(String(local(platform, "secret_names"))).not.toMatch(/"providers\//);
  });

  it.each(Object.entries(oneOffs))(
    "has %s as a one-off task: the entry its npm script runs, and a role with what it uses",
    async (name, expected) => {
      const packageJson = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
      const compiled = /--entry (\S+)/.exec(packageJson.scripts[expected.script] ?? "")?.[1];
      expect(compiled, `npm run ${expected.script} names its entry`).toBeDefined();
      const entry = `src/${compiled!.replace(/\.js$/, ".ts")}`;
      const call = platformCall(name);
      // A task definition and its role, and nothing that starts it: an operator does (docs/deployment.md).
      expect(call.dir).toBe("infra/modules/task-definition");
      expect(call.args.entry).toBe(entry);
      expect(call.args.arguments).toEqual(expected.arguments);
      await expectGrants(call, expected, entry);
      for (const env of environments) expect(callsTo(trees.get(env)!, "task-definition").map((c) => c.args.name)).toContain(name);
    },
  );

  it("runs the patient data migration with what booking access encrypts under, in every environment's outputs", async () => {
    const call = platformCall("migrate-patient-data");
    expect(call.args.environment).toMatchObject({
      DYNAMODB_TABLE: interpolation("module.table.name"),
      BP_PATIENT_DATA_KEY_ARN: interpolation("module.patient_data_key.arn"),
    });
    expect(textOf(platformCall("booking-access").args.environment)).toContain("BP_PATIENT_DATA_KEY_ARN = module.patient_data_key.arn");
    // Each environment's root hands on what `aws ecs run-task` needs (cluster, task definition, network).
    for (const env of environments) {
      const file = path.join(root, "infra/environments", env, "main.tf");
      const { output } = (await parse(file, readFileSync(file, "utf8"))) as { output?: Record<string, Block[]> };
      expect(output?.patient_data_migration?.[0]?.value, env).toBe(interpolation("module.platform.patient_data_migration"));
    }
    const outputs = await parse("outputs.tf", readFileSync(path.join(root, "infra/modules/platform/outputs.tf"), "utf8"));
    const value = textOf((outputs as { output: Record<string, Block[]> }).output.patient_data_migration?.[0]?.value);
    for (const needed of ["aws_ecs_cluster.this.name", "module.patient_data_migration.family", "module.vpc.private_subnets"])
      expect(value).toContain(needed);
  });

  it("keeps secrets as references: Terraform makes the secrets, never their values", () => {
    for (const module of modules.values()) expect(module.resource.aws_secretsmanager_secret_version, module.dir).toBeUndefined();
    const names = String(local(platform, "secret_names"));
    for (const name of ["BP_SLOT_TOKEN_SECRET", "BP_PATIENT_ID_SECRET", "BP_PATIENT_ID_SECRET_PREVIOUS", "BP_PLATFORM_TOKEN"])
      expect(names).toContain(`"${name}"`);
    expect(names).toContain("var.provider_credentials");
  });

  it.each(environments)("%s has a secret for each credential the provider instances name", (env) => {
    const providers = JSON.parse(readFileSync(path.join(root, "config/providers.json"), "utf8")) as {
      providers: Array<{ apiKeyEnv?: string }>;
    };
    const [call] = callsTo(trees.get(env)!, "platform");
    expect((call!.args.provider_credentials as string[]).sort()).toEqual(
      providers.providers.flatMap((p) => (p.apiKeyEnv ? [p.apiKeyEnv] : [])).sort(),
    );
  });

  it("answers the public over TLS only, behind a WAF, in front of the REST API alone", async () => {
    const entry = await load("infra/modules/public-entry");
    const listeners = Object.values(entry.resource.aws_lb_listener!).flat() as Array<Record<string, unknown>>;
    const https = listeners.find((l) => l.protocol === "HTTPS")!;
    expect(https.certificate_arn).toBeDefined();
    expect(String(https.ssl_policy)).toMatch(/TLS13|TLS-1-2/);
    const http = listeners.find((l) => l.protocol === "HTTP")!;
    expect(JSON.stringify(http.default_action)).toContain('"type":"redirect"');
    expect(entry.resource.aws_wafv2_web_acl_association).toBeDefined();
    const behind = callsTo(callsOf(platform), "ecs-service").filter((c) => c.args.target_group_arn !== undefined);
    expect(behind.map((c) => c.args.name)).toEqual(["api"]);
  });
});
