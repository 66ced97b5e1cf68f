import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  demoSecretValues,
  loadSecrets,
  patientDataKeySource,
  readSecret,
  requiredSecret,
  rotatingSecret,
  SecretError,
  secretVariables,
} from "./secrets.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const topologyEnv = (JSON.parse(readFileSync(path.join(root, "topology.json"), "utf8")) as { env: Record<string, string> }).env;
const production = (env: Record<string, string>) => ({ NODE_ENV: "production", ...env });
const strong = "a-secret-of-its-own-that-is-long-enough-x";

describe("secrets", () => {
  it("include, as demo values, every secret this repository ships for local runs", () => {
    const shipped = Object.entries(topologyEnv).filter(([name]) => /SECRET|TOKEN|API_KEY/.test(name));
    expect(shipped.length).toBeGreaterThanOrEqual(4);
    for (const [name, value] of shipped) expect(demoSecretValues.has(value), `${name}=${value}`).toBe(true);
  });

  it.each(Object.keys(secretVariables))("are refused in production when %s holds any demo value, naming the variable", (name) => {
    for (const demo of demoSecretValues) {
      expect(() => requiredSecret(name, production({ [name]: demo })), demo).toThrow(new RegExp(`^${name} is a demo value`));
    }
  });

  it("are refused in production when missing or shorter than 32 characters, naming the variable", () => {
    expect(() => requiredSecret("BP_PLATFORM_TOKEN", production({}))).toThrow(/^BP_PLATFORM_TOKEN is not set/);
    expect(() => requiredSecret("BP_PLATFORM_TOKEN", production({ BP_PLATFORM_TOKEN: "short-but-not-demo" }))).toThrow(
      /^BP_PLATFORM_TOKEN is 18 characters; production needs at least 32/,
    );
    expect(requiredSecret("BP_PLATFORM_TOKEN", production({ BP_PLATFORM_TOKEN: strong }))).toBe(strong);
  });

  it("are the demo values outside production, where only their presence is checked", () => {
    expect(requiredSecret("BP_SLOT_TOKEN_SECRET", { BP_SLOT_TOKEN_SECRET: "local-development-slot-token-secret" })).toBe(
      "local-development-slot-token-secret",
    );
    expect(() => requiredSecret("BP_SLOT_TOKEN_SECRET", {})).toThrow(SecretError);
    expect(readSecret("BP_SLOT_TOKEN_SECRET_PREVIOUS", {}, { optional: true })).toBeUndefined();
  });

  it("rotate: the current one first, then the previous one while it is being retired", () => {
    expect(rotatingSecret("BP_PLATFORM_TOKEN", { BP_PLATFORM_TOKEN: "new-one", BP_PLATFORM_TOKEN_PREVIOUS: "old-one" })).toEqual([
      "new-one",
      "old-one",
    ]);
    expect(rotatingSecret("BP_PLATFORM_TOKEN", { BP_PLATFORM_TOKEN: "new-one" })).toEqual(["new-one"]);
    expect(() =>
      rotatingSecret("BP_PLATFORM_TOKEN", production({ BP_PLATFORM_TOKEN: strong, BP_PLATFORM_TOKEN_PREVIOUS: "demo-token" })),
    ).toThrow(/BP_PLATFORM_TOKEN_PREVIOUS is a demo value/);
  });

  it("are read from AWS Secrets Manager where <NAME>_SECRET_ID names one, by the real AWS SDK over HTTP", async () => {
    const asked: string[] = [];
    // Secrets Manager's JSON protocol, as much of it as GetSecretValue needs.
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        const { SecretId } = JSON.parse(body) as { SecretId: string };
        asked.push(`${req.headers["x-amz-target"]} ${SecretId}`);
        res
          .writeHead(200, { "content-type": "application/x-amz-json-1.1" })
          .end(JSON.stringify({ Name: SecretId, SecretString: `value-of-${SecretId}` }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const env: NodeJS.ProcessEnv = {
        AWS_REGION: "eu-north-1",
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        SECRETS_MANAGER_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        BP_PLATFORM_TOKEN_SECRET_ID: "arn:aws:secretsmanager:eu-north-1:123456789012:secret:platform-token",
      };
      expect(await loadSecrets(env)).toEqual(["BP_PLATFORM_TOKEN"]);
      expect(env.BP_PLATFORM_TOKEN).toBe("value-of-arn:aws:secretsmanager:eu-north-1:123456789012:secret:platform-token");
      expect(asked).toEqual(["secretsmanager.GetSecretValue arn:aws:secretsmanager:eu-north-1:123456789012:secret:platform-token"]);
    } finally {
      server.close();
    }
  });

  it("need no AWS at all when no secret is in Secrets Manager", async () => {
    expect(await loadSecrets({ BP_PLATFORM_TOKEN: "local" })).toEqual([]);
  });
});

describe("the key to patients' data", () => {
  const keyArn = "arn:aws:kms:eu-north-1:123456789012:key/0b6f2a9e-0000-4000-8000-000000000000";

  it("is a key file outside production, .data/patient-data.key unless BP_PATIENT_DATA_KEY_FILE says otherwise", () => {
    expect(patientDataKeySource({})).toEqual({ kind: "key-file", path: ".data/patient-data.key" });
    expect(patientDataKeySource({ BP_PATIENT_DATA_KEY_FILE: "/tmp/k" })).toEqual({ kind: "key-file", path: "/tmp/k" });
    expect(patientDataKeySource({ BP_PATIENT_DATA_KEY_ARN: keyArn })).toEqual({ kind: "kms", keyArn });
  });

  it("is a KMS key in production, which refuses a key file and says so", () => {
    expect(patientDataKeySource(production({ BP_PATIENT_DATA_KEY_ARN: keyArn }))).toEqual({ kind: "kms", keyArn });
    expect(() => patientDataKeySource(production({}))).toThrow(/^BP_PATIENT_DATA_KEY_ARN is not set/);
    expect(() => patientDataKeySource(production({ BP_PATIENT_DATA_KEY_FILE: ".data/patient-data.key" }))).toThrow(
      /^BP_PATIENT_DATA_KEY_FILE is set; production encrypts patient data under a KMS key only/,
    );
  });

  it("is one key: both set is refused anywhere rather than one silently winning", () => {
    expect(() => patientDataKeySource({ BP_PATIENT_DATA_KEY_ARN: keyArn, BP_PATIENT_DATA_KEY_FILE: "/tmp/k" })).toThrow(SecretError);
  });
});
