/**
 * `npm run migrate -- patient-data [--dry-run] [--alias-days <n>]`: brings
 * every stored reservation to what booking access writes today (see
 * patient-data-migration.ts): personal data encrypted, personal identity
 * numbers in their twelve-digit form, patient ids derived from those with
 * BP_PATIENT_ID_SECRET, an old id finding its patient for --alias-days.
 *
 * Reads what booking access reads: DYNAMODB_ENDPOINT, DYNAMODB_TABLE,
 * AWS_REGION, the patient data key (BP_PATIENT_DATA_KEY_ARN, or outside
 * production BP_PATIENT_DATA_KEY_FILE), BP_PATIENT_ID_SECRET and, while it is
 * rotated out, BP_PATIENT_ID_SECRET_PREVIOUS; any of them from Secrets Manager
 * by <NAME>_SECRET_ID. With none of the table's settings outside production:
 * the DynamoDB Local of a running `npm start` and topology.json's demo secret.
 *
 * Safe to interrupt (Ctrl-C lets the items under way finish; a kill is safe
 * too) and to run again; it runs beside the live services.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { isProduction, loadSecrets, readSecret, requiredSecret } from "../../../utilities/config/secrets.js";
import { createDynamoDbClients, dynamoDbSettingsFromEnv } from "../../../utilities/dynamodb/dynamodb-config.js";
import { createPatientDataCipher } from "../private/patient-data-cipher.js";
import { patientDataKeyring } from "../private/patient-data-keys.js";
import { defaultAliasLifetimeMs, migratePatientData, type PatientDataMigrationSummary } from "./patient-data-migration.js";

const usage = `usage: npm run migrate -- patient-data [--dry-run] [--alias-days <days>] [--concurrency <n>]

  patient-data        encrypt personal data still in the clear, keep personal identity numbers in
                      their twelve-digit form, and derive patient ids from them with
                      BP_PATIENT_ID_SECRET; a changed id (the century now counts, or the secret was
                      rotated: BP_PATIENT_ID_SECRET_PREVIOUS) leaves an alias from the old one
  --dry-run           look and count, write nothing
  --alias-days <n>    how long an old patient id still finds the patient (default ${defaultAliasLifetimeMs / 86_400_000})
  --concurrency <n>   reservations migrated at once (default 8; fewer spares the table's capacity)

Safe to interrupt and to run again: each reservation is migrated whole or not at all.`;

let values: { "dry-run": boolean; "alias-days"?: string; concurrency: string; help: boolean };
let positionals: string[];
try {
  ({ values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      "dry-run": { type: "boolean", default: false },
      "alias-days": { type: "string" },
      concurrency: { type: "string", default: "8" },
      help: { type: "boolean", short: "h", default: false },
    },
  }));
} catch (error) {
  console.error(`${(error as Error).message}\n\n${usage}`);
  process.exit(2);
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (positionals.length !== 1 || positionals[0] !== "patient-data") {
  console.error(`${positionals.length === 0 ? "name the migration" : `no migration ${positionals.join(" ")}`}\n\n${usage}`);
  process.exit(2);
}
const aliasDays = Number(values["alias-days"] ?? defaultAliasLifetimeMs / 86_400_000);
if (!Number.isFinite(aliasDays) || aliasDays <= 0) {
  console.error(`--alias-days must be a positive number of days, not ${values["alias-days"]}`);
  process.exit(2);
}
const concurrency = Number(values.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`--concurrency must be a whole number of at least 1, not ${values.concurrency}`);
  process.exit(2);
}

await loadSecrets();
const settings = dynamoDbSettingsFromEnv();
if (!settings.endpoint && !isProduction() && !process.env.AWS_REGION) {
  // Outside production with nothing configured: what `npm start` runs, as `npm run keys` does.
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
  const topology = JSON.parse(readFileSync(path.join(root, "topology.json"), "utf8")) as {
    dynamodb: { port: number; table: string };
    env: Record<string, string>;
  };
  settings.endpoint = `http://127.0.0.1:${topology.dynamodb.port}`;
  settings.tableName = topology.dynamodb.table;
  process.env.BP_PATIENT_ID_SECRET ??= topology.env.BP_PATIENT_ID_SECRET;
  console.error(`(no DYNAMODB_ENDPOINT: using npm start's DynamoDB Local at ${settings.endpoint} and its patient id secret)`);
}

let patientIdSecret: string;
let previousPatientIdSecret: string | undefined;
let keyring: ReturnType<typeof patientDataKeyring>;
try {
  patientIdSecret = requiredSecret("BP_PATIENT_ID_SECRET");
  previousPatientIdSecret = readSecret("BP_PATIENT_ID_SECRET_PREVIOUS", process.env, { optional: true });
  keyring = patientDataKeyring();
} catch (error) {
  console.error(`migrate patient-data: ${(error as Error).message}`);
  process.exit(1);
}

const dryRun = values["dry-run"];
console.error(
  `Migrating patient data in table ${settings.tableName}${dryRun ? " (dry run: nothing is written)" : ""}: ` +
    `encrypting under ${keyring.description}, ids with BP_PATIENT_ID_SECRET${previousPatientIdSecret ? " (recognising BP_PATIENT_ID_SECRET_PREVIOUS's)" : ""}.`,
);

// Ctrl-C once: the items under way finish and the summary says where it stopped. Twice: out at once (still safe).
const stop = new AbortController();
process.on("SIGINT", () => {
  if (stop.signal.aborted) process.exit(130);
  console.error("\nstopping after the reservations under way (Ctrl-C again to stop at once)…");
  stop.abort();
});

let lastPercent = -1;
let lastLine = 0;
const { client, documents } = createDynamoDbClients(settings);
try {
  const summary = await migratePatientData({
    documents,
    tableName: settings.tableName,
    cipher: createPatientDataCipher(keyring.keyring),
    patientIdSecret,
    previousPatientIdSecret,
    dryRun,
    aliasLifetimeMs: aliasDays * 86_400_000,
    concurrency,
    signal: stop.signal,
    onProgress(done, total) {
      // A line per percent, or every two seconds when percents are slow in coming.
      const percent = total === 0 ? 100 : Math.min(100, Math.floor((done / total) * 100));
      if (percent === lastPercent && Date.now() - lastLine < 2000) return;
      lastPercent = percent;
      lastLine = Date.now();
      console.error(`  ${done} of ${total} reservations (${percent}%)`);
    },
  });
  console.log(describe(summary));
  if (summary.interrupted || summary.unreadable.length || summary.unrecognisedIds.length || summary.conflicts.length) process.exitCode = 1;
} catch (error) {
  console.error(`migrate patient-data failed: ${(error as Error).message}\nWhat was migrated stays migrated; run it again to go on.`);
  process.exitCode = 1;
} finally {
  client.destroy();
}

function describe(s: PatientDataMigrationSummary): string {
  const ids = (list: string[]) =>
    list.length ? `: ${list.slice(0, 20).join(", ")}${list.length > 20 ? ` and ${list.length - 20} more` : ""}` : "";
  return [
    `${s.dryRun ? "Dry run" : s.interrupted ? "Interrupted" : "Done"}: ${s.examined} of ${s.total} reservations looked at.`,
    `  ${s.dryRun ? "to encrypt" : "encrypted"}: ${s.encrypted}`,
    `  patient ids ${s.dryRun ? "to change" : "changed"}: ${s.idsChanged}${s.idsChanged && !s.dryRun ? ` (the old ids find their patients until ${s.aliasesExpireAt.toISOString()})` : ""}`,
    `  already done: ${s.alreadyDone}`,
    `  personal identity numbers that are not one (encrypted, id kept): ${s.invalidNumbers.length}${ids(s.invalidNumbers)}`,
    `  ids no known secret made (encrypted, id kept; is BP_PATIENT_ID_SECRET_PREVIOUS set right?): ${s.unrecognisedIds.length}${ids(s.unrecognisedIds)}`,
    `  personal data that does not decrypt (another key, or altered; left as it is): ${s.unreadable.length}${ids(s.unreadable)}`,
    `  changing under the migration (left for the next run): ${s.conflicts.length}${ids(s.conflicts)}`,
    ...(s.interrupted ? ["Run it again to go on: what is migrated stays migrated."] : []),
  ].join("\n");
}
