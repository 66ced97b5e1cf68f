import { readFileSync } from "node:fs";
import type { ProviderInstanceConfig } from "./adapter.js";
import type { InstanceSettings } from "./instance-store.js";
import { defaultResilience, type ResilienceSettings } from "./private/resilience.js";

interface InstanceEntry {
  id?: unknown;
  adapter?: unknown;
  baseUrl?: unknown;
  apiKey?: unknown;
  apiKeyEnv?: unknown;
  timeZone?: unknown;
  resilience?: unknown;
  options?: unknown;
  displayName?: unknown;
}

/** The environment variable that overrides an instance's base URL (npm start points instances at simulators with it). */
export function providerUrlVariable(providerInstanceId: string): string {
  return `BP_PROVIDER_URL_${providerInstanceId.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/**
 * Reads provider instances (config/providers.json's shape). Credentials come
 * from the environment variable each entry names in `apiKeyEnv`; a literal
 * `apiKey` is for tests only. Every mistake is reported with the instance it
 * concerns, before the service starts serving.
 */
export function loadProviderInstances(
  file: string,
  knownAdapters: string[],
  env: NodeJS.ProcessEnv = process.env,
): ProviderInstanceConfig[] {
  let parsed: { providers?: InstanceEntry[] };
  try {
    parsed = JSON.parse(readFileSync(file, "utf8")) as { providers?: InstanceEntry[] };
  } catch (error) {
    throw new Error(`cannot read provider instances from ${file}: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed.providers)) throw new Error(`${file}: expected a "providers" array`);
  const seen = new Set<string>();
  return parsed.providers.map((entry, index) => {
    const where = `${file}: provider #${index + 1}${typeof entry.id === "string" ? ` (${entry.id})` : ""}`;
    if (typeof entry.id !== "string" || !/^[a-z0-9][a-z0-9-]*$/.test(entry.id))
      throw new Error(`${where}: "id" must be lower-case letters, digits and dashes`);
    if (seen.has(entry.id)) throw new Error(`${where}: the id is used twice`);
    seen.add(entry.id);
    if (typeof entry.adapter !== "string" || !knownAdapters.includes(entry.adapter)) {
      throw new Error(`${where}: "adapter" must be one of ${knownAdapters.join(", ")}`);
    }
    const baseUrl = env[providerUrlVariable(entry.id)] ?? entry.baseUrl;
    if (typeof baseUrl !== "string" || !URL.canParse(baseUrl)) throw new Error(`${where}: "baseUrl" must be a URL`);
    if (typeof entry.timeZone !== "string" || !Intl.supportedValuesOf("timeZone").includes(entry.timeZone)) {
      throw new Error(`${where}: "timeZone" must be an IANA time zone such as Europe/Stockholm`);
    }
    let apiKey: string | undefined;
    if (typeof entry.apiKeyEnv === "string") {
      apiKey = env[entry.apiKeyEnv];
      if (!apiKey) throw new Error(`${where}: environment variable ${entry.apiKeyEnv} (its API key) is not set`);
    } else if (typeof entry.apiKey === "string") {
      apiKey = entry.apiKey;
    }
    return {
      id: entry.id,
      adapter: entry.adapter,
      baseUrl,
      apiKey,
      timeZone: entry.timeZone,
      resilience: readResilience(entry.resilience, where),
      options: readOptions(entry.options, where),
    };
  });
}

/**
 * The instances a providers file (config/providers.json) seeds into an empty
 * table, as settings to store: credentials by reference only (`apiKeyEnv`,
 * an environment variable's name, or `secretId`, a Secrets Manager secret),
 * never a literal key. Every mistake names the instance it concerns.
 */
export function readInstanceSeeds(file: string, knownAdapters: string[]): InstanceSettings[] {
  let parsed: { providers?: Array<InstanceEntry & { secretId?: unknown }> };
  try {
    parsed = JSON.parse(readFileSync(file, "utf8")) as typeof parsed;
  } catch (error) {
    throw new Error(`cannot read provider instances from ${file}: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed.providers)) throw new Error(`${file}: expected a "providers" array`);
  const seen = new Set<string>();
  return parsed.providers.map((entry, index) => {
    const where = `${file}: provider #${index + 1}${typeof entry.id === "string" ? ` (${entry.id})` : ""}`;
    if (typeof entry.id !== "string" || !/^[a-z0-9][a-z0-9-]*$/.test(entry.id))
      throw new Error(`${where}: "id" must be lower-case letters, digits and dashes`);
    if (seen.has(entry.id)) throw new Error(`${where}: the id is used twice`);
    seen.add(entry.id);
    if (typeof entry.adapter !== "string" || !knownAdapters.includes(entry.adapter))
      throw new Error(`${where}: "adapter" must be one of ${knownAdapters.join(", ")}`);
    if (typeof entry.baseUrl !== "string" || !URL.canParse(entry.baseUrl)) throw new Error(`${where}: "baseUrl" must be a URL`);
    if (typeof entry.timeZone !== "string" || !Intl.supportedValuesOf("timeZone").includes(entry.timeZone))
      throw new Error(`${where}: "timeZone" must be an IANA time zone such as Europe/Stockholm`);
    if (entry.apiKey !== undefined)
      throw new Error(`${where}: a literal "apiKey" is never stored; name its environment variable (apiKeyEnv)`);
    const resilience = readResilience(entry.resilience, where);
    const options = readOptions(entry.options, where);
    return {
      id: entry.id,
      adapter: entry.adapter,
      baseUrl: entry.baseUrl,
      credentials: {
        ...(typeof entry.apiKeyEnv === "string" ? { env: entry.apiKeyEnv } : {}),
        ...(typeof entry.secretId === "string" ? { secretId: entry.secretId } : {}),
      },
      timeZone: entry.timeZone,
      ...(resilience ? { resilience } : {}),
      ...(options ? { options } : {}),
      ...(typeof entry.displayName === "string" ? { displayName: entry.displayName } : {}),
    };
  });
}

export function readResilience(value: unknown, where: string): Partial<ResilienceSettings> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null) throw new Error(`${where}: "resilience" must be an object`);
  const settings: Partial<ResilienceSettings> = {};
  for (const [name, setting] of Object.entries(value)) {
    if (!(name in defaultResilience))
      throw new Error(`${where}: unknown resilience setting "${name}" (known: ${Object.keys(defaultResilience).join(", ")})`);
    if (typeof setting !== "number" || !Number.isInteger(setting) || setting < 0)
      throw new Error(`${where}: resilience.${name} must be a whole number ≥ 0`);
    settings[name as keyof ResilienceSettings] = setting;
  }
  return settings;
}

function readOptions(value: unknown, where: string): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${where}: "options" must be an object`);
  return value as Record<string, unknown>;
}
