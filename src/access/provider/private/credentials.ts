import { type SecretsClient, secretsManagerClient } from "../../../utilities/config/secrets.js";
import { ErrorReason, platformError } from "../../../utilities/errors/platform-error.js";

export interface CredentialsReference {
  env?: string;
  secretId?: string;
}

export interface CredentialResolver {
  /** The secret a reference names; undefined for none. CREDENTIALS_UNRESOLVED when it names nothing readable. */
  resolve(instanceId: string, reference: CredentialsReference): Promise<string | undefined>;
}

/**
 * Instances name their secret, never hold it: an environment variable of this
 * process (provisioned with the deployment), or a Secrets Manager secret read
 * on use and remembered for `secretTtlMs` (default 5 minutes), so that a new
 * chain's secret, or a rotated one, needs no restart. A secret that cannot be
 * read is not remembered: the next use asks again.
 */
export function createCredentialResolver(
  options: { env?: NodeJS.ProcessEnv; secrets?: () => Promise<SecretsClient>; secretTtlMs?: number; now?: () => number } = {},
): CredentialResolver {
  const env = options.env ?? process.env;
  const ttl = options.secretTtlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  let client: Promise<SecretsClient> | undefined;
  const remembered = new Map<string, { value: string; until: number }>();
  const unresolved = (instanceId: string, reference: string, why: string) =>
    platformError(ErrorReason.CREDENTIALS_UNRESOLVED, `the credentials of provider instance ${instanceId}: ${why}`, {
      provider_instance_id: instanceId,
      reference,
    });

  return {
    async resolve(instanceId, reference) {
      if (reference.env) {
        const value = env[reference.env];
        if (!value)
          throw unresolved(instanceId, `env:${reference.env}`, `environment variable ${reference.env} is not set in provider access`);
        return value;
      }
      if (reference.secretId) {
        const known = remembered.get(reference.secretId);
        if (known && now() < known.until) return known.value;
        client ??= (options.secrets ?? (() => secretsManagerClient(env)))();
        let value: string | undefined;
        try {
          value = await (await client).getSecretValue(reference.secretId);
        } catch (error) {
          throw unresolved(
            instanceId,
            `secret:${reference.secretId}`,
            `Secrets Manager could not give ${reference.secretId} (${(error as Error).name})`,
          );
        }
        if (!value)
          throw unresolved(instanceId, `secret:${reference.secretId}`, `Secrets Manager has no string value for ${reference.secretId}`);
        remembered.set(reference.secretId, { value, until: now() + ttl });
        return value;
      }
      return undefined;
    },
  };
}
