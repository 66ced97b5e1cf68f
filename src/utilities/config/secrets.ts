/**
 * Secrets: where they come from, and what production refuses.
 *
 * Every secret is an environment variable. In AWS, the variable may instead
 * name a Secrets Manager secret (`<NAME>_SECRET_ID`, its ARN or name), read
 * once at start by loadSecrets(). In production mode (`NODE_ENV=production`)
 * a service refuses to start with a secret that is missing, shorter than 32
 * characters, or one of the demo values this repository ships for local runs,
 * and says which variable is wrong: a demo secret accepted in production would
 * let anyone forge slot ids or platform calls, or compute patient ids.
 */
export const isProduction = (env: NodeJS.ProcessEnv = process.env) => env.NODE_ENV === "production";

/** The secrets the platform reads, and what each one protects. */
export const secretVariables = {
  BP_SLOT_TOKEN_SECRET: "signs the slot ids a search hands out",
  BP_PATIENT_ID_SECRET: "keys the patient ids derived from personal identity numbers",
  BP_PLATFORM_TOKEN: "proves a gRPC call comes from inside the platform",
  BP_DEV_API_KEY: "the development API key that npm start makes sure exists (never in production)",
} as const;

/**
 * Every secret value this repository ships for local runs (topology.json,
 * docker-compose.yml, tests). A test keeps this list in step with those
 * files; production refuses each of them whatever variable it arrives in.
 */
export const demoSecretValues = new Set([
  "local-development-slot-token-secret",
  "local-development-patient-id-secret",
  "local-development-platform-token-0001",
  "bp_dev_localdev0001_DevelopmentKeyForLocalUseOnly00000000000000",
  "demo-key",
  "demo-token",
]);

export const minimumSecretLength = 32;

export class SecretError extends Error {}

/**
 * A secret from the environment. Outside production only its presence is
 * required; in production also its length and that it is not a demo value.
 */
export function readSecret(name: string, env: NodeJS.ProcessEnv = process.env, options: { optional?: boolean } = {}): string | undefined {
  const value = env[name];
  if (value === undefined || value === "") {
    if (options.optional) return undefined;
    throw new SecretError(`${name} is not set (${describe(name)})`);
  }
  if (isProduction(env)) {
    if (demoSecretValues.has(value))
      throw new SecretError(`${name} is a demo value from this repository; production needs a secret of its own`);
    if (value.length < minimumSecretLength)
      throw new SecretError(`${name} is ${value.length} characters; production needs at least ${minimumSecretLength}`);
  }
  return value;
}

/** A required secret (see readSecret). */
export const requiredSecret = (name: string, env: NodeJS.ProcessEnv = process.env): string => readSecret(name, env)!;

/** The secrets a key may be checked against while it is being rotated: the current one, then the previous one if set. */
export function rotatingSecret(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const previous = readSecret(`${name}_PREVIOUS`, env, { optional: true });
  return [requiredSecret(name, env), ...(previous ? [previous] : [])];
}

/** Production refuses the development API key whatever its value: it is a local convenience only. */
export function assertNoDevelopmentKeyInProduction(env: NodeJS.ProcessEnv = process.env): void {
  if (isProduction(env) && env.BP_DEV_API_KEY) throw new SecretError("BP_DEV_API_KEY is set; a development key is refused in production");
}

/** The local default for the patient data key file, relative to the working directory (the repository for `npm start`). */
export const defaultPatientDataKeyFile = ".data/patient-data.key";

export type PatientDataKeySource = { kind: "kms"; keyArn: string } | { kind: "key-file"; path: string };

/**
 * Which key encrypts patients' data: a KMS key (BP_PATIENT_DATA_KEY_ARN), or
 * outside production a key file (BP_PATIENT_DATA_KEY_FILE, default
 * .data/patient-data.key). Production refuses a key file: a key in a file
 * can be copied with the disk or the image, unseen; a KMS key never leaves
 * KMS and every use of it is logged.
 */
export function patientDataKeySource(env: NodeJS.ProcessEnv = process.env): PatientDataKeySource {
  const keyArn = env.BP_PATIENT_DATA_KEY_ARN;
  const keyFile = env.BP_PATIENT_DATA_KEY_FILE;
  if (keyArn && keyFile) {
    throw new SecretError(
      "BP_PATIENT_DATA_KEY_ARN and BP_PATIENT_DATA_KEY_FILE are both set; patient data is encrypted under one key: unset one",
    );
  }
  if (isProduction(env)) {
    if (keyFile) throw new SecretError("BP_PATIENT_DATA_KEY_FILE is set; production encrypts patient data under a KMS key only");
    if (!keyArn) throw new SecretError("BP_PATIENT_DATA_KEY_ARN is not set (the KMS key that encrypts patient data); production needs one");
  }
  return keyArn ? { kind: "kms", keyArn } : { kind: "key-file", path: keyFile || defaultPatientDataKeyFile };
}

export type SecretsClient = { getSecretValue(secretId: string): Promise<string | undefined> };

/**
 * Reads every `<NAME>_SECRET_ID` of the environment from AWS Secrets Manager
 * into `<NAME>`, before anything reads the secrets. Without such variables it
 * does nothing, so local runs need no AWS at all.
 */
export async function loadSecrets(env: NodeJS.ProcessEnv = process.env, client?: SecretsClient): Promise<string[]> {
  const wanted = Object.keys(env).filter((key) => key.endsWith("_SECRET_ID") && env[key]);
  if (wanted.length === 0) return [];
  const secrets = client ?? (await secretsManagerClient(env));
  const loaded: string[] = [];
  for (const key of wanted) {
    const name = key.slice(0, -"_SECRET_ID".length);
    const value = await secrets.getSecretValue(env[key]!);
    if (!value) throw new SecretError(`${key}: Secrets Manager has no string value for ${env[key]}`);
    env[name] = value;
    loaded.push(name);
  }
  return loaded;
}

/** A reader of AWS Secrets Manager secrets (by ARN or name), in the environment's region. */
export async function secretsManagerClient(env: NodeJS.ProcessEnv = process.env): Promise<SecretsClient> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import("@aws-sdk/client-secrets-manager");
  const client = new SecretsManagerClient({
    region: env.AWS_REGION,
    ...(env.SECRETS_MANAGER_ENDPOINT ? { endpoint: env.SECRETS_MANAGER_ENDPOINT } : {}),
    // In ECS the task role's credentials come from the default chain; keys in the environment win where set.
    ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY } }
      : {}),
  });
  return { getSecretValue: async (secretId) => (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString };
}

function describe(name: string): string {
  const base = name.replace(/_PREVIOUS$/, "") as keyof typeof secretVariables;
  return secretVariables[base] ?? "a secret";
}
