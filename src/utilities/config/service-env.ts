/**
 * Every service process is configured by environment variables only, injected
 * by whatever runs it: the local host (`npm start`, from topology.json), the
 * system tests, docker-compose, or ECS task definitions with Cloud Map names.
 *
 *   PORT                         port this service listens on
 *   BP_URL_<SERVICE_NAME>        base URL of a service it calls, e.g.
 *                                BP_URL_CATALOG_ACCESS=http://127.0.0.1:7301
 *   DYNAMODB_ENDPOINT            omit for real AWS DynamoDB
 *   DYNAMODB_TABLE, AWS_REGION   the single table and its region
 */
export function envVarForService(serviceName: string): string {
  return `BP_URL_${serviceName.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

export function serviceUrl(serviceName: string, env: NodeJS.ProcessEnv = process.env): string {
  const key = envVarForService(serviceName);
  const value = env[key];
  if (!value) throw new Error(`${key} is not set: where does ${serviceName} run?`);
  return value;
}

export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === "") throw new Error(`${name} is not set`);
  return value;
}

export function portFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const port = Number(requiredEnv("PORT", env));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT=${env.PORT} is not a port`);
  return port;
}
