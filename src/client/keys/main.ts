/**
 * `npm run keys -- <command>`: API keys of the client systems that call the platform.
 *
 *   npm run keys -- create --client vaarden-web --scopes availability:read,reservations:write [--name "…"] [--env live|test|dev]
 *   npm run keys -- list [--client vaarden-web]
 *   npm run keys -- revoke <key id>
 *
 * A new key is printed once, on a line of its own; only its hash is stored. Rotation: create a
 * second key for the client, move the client to it, then revoke the first (several keys per client
 * are fine). A revoked key is refused within 30 s by every API process (they remember answers that
 * long). Talks to the table the services use: DYNAMODB_ENDPOINT, DYNAMODB_TABLE, AWS_REGION, as
 * they do; with none set outside production, the DynamoDB Local of a running `npm start`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { isProduction } from "../../utilities/config/secrets.js";
import { createDynamoDbClients, dynamoDbSettingsFromEnv } from "../../utilities/dynamodb/dynamodb-config.js";
import { prepareTable } from "../../utilities/dynamodb/table-design.js";
import { createApiKeyStore } from "../../utilities/security/api-key-store.js";
import { type KeyEnvironment, readScopes, scopes } from "../../utilities/security/api-keys.js";

const usage = `usage:
  npm run keys -- create --client <client id> --scopes <scope,scope…> [--name <text>] [--env live|test|dev]
  npm run keys -- list [--client <client id>]
  npm run keys -- revoke <key id>
scopes: ${scopes.join(", ")}`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    client: { type: "string" },
    scopes: { type: "string" },
    name: { type: "string" },
    env: { type: "string", default: isProduction() ? "live" : "dev" },
    help: { type: "boolean", short: "h" },
  },
});
const [command, ...rest] = positionals;
if (values.help || !command) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}

const fail = (message: string): never => {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
};

const settings = dynamoDbSettingsFromEnv();
if (!settings.endpoint && !isProduction() && !process.env.AWS_REGION) {
  // Outside production with nothing configured: the DynamoDB Local that `npm start` runs.
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
  const topology = JSON.parse(readFileSync(path.join(root, "topology.json"), "utf8")) as { dynamodb: { port: number; table: string } };
  settings.endpoint = `http://127.0.0.1:${topology.dynamodb.port}`;
  settings.tableName = topology.dynamodb.table;
  console.error(`(no DYNAMODB_ENDPOINT: using npm start's DynamoDB Local at ${settings.endpoint})`);
}
const { client, documents } = createDynamoDbClients(settings);
const store = createApiKeyStore(documents, settings.tableName);

try {
  switch (command) {
    case "create": {
      const clientId = values.client ?? fail("create needs --client");
      const scopeList = readScopes((values.scopes ?? fail("create needs --scopes")).split(",").map((s) => s.trim()));
      if (!["live", "test", "dev"].includes(values.env)) fail(`--env must be live, test or dev, not ${values.env}`);
      await prepareTable(client, settings);
      const { value, record } = await store.create({
        clientId,
        name: values.name ?? clientId,
        scopes: scopeList,
        environment: values.env as KeyEnvironment,
      });
      console.error(`Created key ${record.keyId} for ${record.clientId} (${record.scopes.join(", ")}). It is shown once; store it now:`);
      console.log(value);
      break;
    }
    case "list": {
      const keys = await store.list(values.client);
      if (keys.length === 0) console.log("no keys");
      for (const key of keys) {
        console.log(
          [
            key.keyId.padEnd(14),
            key.prefix.padEnd(22),
            key.clientId.padEnd(20),
            key.createdAt,
            key.revokedAt ? `revoked ${key.revokedAt}` : "active",
            key.scopes.join(","),
          ].join("  "),
        );
      }
      break;
    }
    case "revoke": {
      const keyId = rest[0] ?? fail("revoke needs a key id (see `npm run keys -- list`)");
      if (!(await store.revoke(keyId))) {
        console.error(`no key ${keyId}`);
        process.exitCode = 1;
      } else console.log(`revoked ${keyId}; every API process refuses it within 30 s`);
      break;
    }
    default:
      fail(`unknown command ${command}`);
  }
} catch (error) {
  console.error(`keys ${command} failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  client.destroy();
}
