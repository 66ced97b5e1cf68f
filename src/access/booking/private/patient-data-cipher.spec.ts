import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createPatientDataCipher, kmsKeyring, PatientDataUnreadable, type PersonalData, rawAesKeyring } from "./patient-data-cipher.js";
import { ensurePatientDataKeyFile, patientDataKeyring, readPatientDataKeyFile } from "./patient-data-keys.js";

const anna: PersonalData = {
  patient: {
    name: "Anna Andersson",
    personalIdentityNumber: "19900101-1239",
    dateOfBirth: "",
    phone: "0701234567",
    email: "anna@example.se",
  },
  note: "Afraid of needles",
};
const inClear = ["Anna Andersson", "19900101-1239", "199001011239", "0701234567", "anna@example.se", "Afraid of needles"];
const containsAnyOf = (blob: Uint8Array, texts: string[]) => texts.filter((text) => Buffer.from(blob).includes(text));

describe("the patient data cipher", () => {
  const cipher = createPatientDataCipher(rawAesKeyring(randomBytes(32)));

  it("gives back exactly what it encrypted, for the reservation it encrypted it for", async () => {
    const blob = await cipher.encrypt("res_1", anna);
    expect(await cipher.decrypt("res_1", blob)).toEqual(anna);
  });

  it("leaves nothing personal readable in the blob, and never the same blob twice", async () => {
    const first = await cipher.encrypt("res_1", anna);
    expect(containsAnyOf(first, inClear)).toEqual([]);
    expect(Buffer.from(first).includes("res_1"), "the reservation id is the encryption context, in the clear on purpose").toBe(true);
    expect(Buffer.from(await cipher.encrypt("res_1", anna)).equals(Buffer.from(first))).toBe(false);
  });

  it("refuses a blob altered anywhere, in its header or its body", async () => {
    const blob = await cipher.encrypt("res_1", anna);
    for (const at of [20, Math.floor(blob.length / 2), blob.length - 1]) {
      const altered = Uint8Array.from(blob);
      altered[at]! ^= 0x01;
      await expect(cipher.decrypt("res_1", altered), `byte ${at}`).rejects.toBeInstanceOf(PatientDataUnreadable);
    }
  });

  it("refuses a blob moved onto another reservation", async () => {
    const blob = await cipher.encrypt("res_1", anna);
    await expect(cipher.decrypt("res_2", blob)).rejects.toThrow(/belongs to another item/);
  });

  it("refuses a blob written under another key", async () => {
    const blob = await createPatientDataCipher(rawAesKeyring(randomBytes(32))).encrypt("res_1", anna);
    await expect(cipher.decrypt("res_1", blob)).rejects.toBeInstanceOf(PatientDataUnreadable);
  });

  it("uses a KMS key through KMS's own API: a data key generated per blob under the reservation's context, unwrapped by KMS to read it", async () => {
    const kms = await startFakeKms();
    try {
      const keyArn = "arn:aws:kms:eu-north-1:123456789012:key/0b6f2a9e-0000-4000-8000-000000000000";
      const viaKms = createPatientDataCipher(
        kmsKeyring(keyArn, { endpoint: kms.url, credentials: { accessKeyId: "test", secretAccessKey: "test" } }),
      );
      const blob = await viaKms.encrypt("res_1", anna);
      expect(containsAnyOf(blob, inClear)).toEqual([]);
      expect(await viaKms.decrypt("res_1", blob)).toEqual(anna);
      expect(kms.calls).toEqual([
        { operation: "GenerateDataKey", keyId: keyArn, context: { purpose: "patient-data", reservation: "res_1" } },
        { operation: "Decrypt", keyId: keyArn, context: { purpose: "patient-data", reservation: "res_1" } },
      ]);
    } finally {
      await kms.close();
    }
  });
});

describe("the patient data key file", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "bp-key-file-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is made once with a random 256-bit key, readable by its owner only, and never replaced", () => {
    const file = path.join(dir, "made", "patient-data.key");
    expect(ensurePatientDataKeyFile(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const key = readPatientDataKeyFile(file);
    expect(key).toHaveLength(32);
    expect(ensurePatientDataKeyFile(file)).toBe(false);
    expect(readPatientDataKeyFile(file)).toEqual(key);
    expect(ensurePatientDataKeyFile(path.join(dir, "other.key")) && readPatientDataKeyFile(path.join(dir, "other.key"))).not.toEqual(key);
  });

  it("is refused when others may read it, missing, or not a 256-bit key, saying which", () => {
    const loose = path.join(dir, "loose.key");
    writeFileSync(loose, `${randomBytes(32).toString("base64")}\n`);
    chmodSync(loose, 0o644);
    expect(() => readPatientDataKeyFile(loose)).toThrow(/may be read by others \(mode 644\): chmod 600/);
    expect(() => readPatientDataKeyFile(path.join(dir, "absent.key"))).toThrow(/does not exist: `npm start` creates it/);
    const short = path.join(dir, "short.key");
    writeFileSync(short, randomBytes(16).toString("base64"), { mode: 0o600 });
    expect(() => readPatientDataKeyFile(short)).toThrow(/does not hold a 256-bit key/);
  });

  it("is what the keyring of a process outside production reads, from BP_PATIENT_DATA_KEY_FILE", async () => {
    const file = path.join(dir, "env.key");
    ensurePatientDataKeyFile(file);
    const { keyring, description } = patientDataKeyring({ BP_PATIENT_DATA_KEY_FILE: file });
    expect(description).toBe(`the key file ${file}`);
    const blob = await createPatientDataCipher(keyring).encrypt("res_1", anna);
    const again = createPatientDataCipher(rawAesKeyring(Buffer.from(readFileSync(file, "utf8").trim(), "base64")));
    expect(await again.decrypt("res_1", blob)).toEqual(anna);
  });
});

/**
 * KMS's JSON API, as much of it as the Encryption SDK's KMS keyring uses: data
 * keys "wrapped" by remembering them, and unwrapped only under the context
 * they were generated with, as KMS does.
 */
async function startFakeKms() {
  const wrapped = new Map<string, { plaintext: string; context: string }>();
  const calls: Array<{ operation: string; keyId: string; context: Record<string, string> }> = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const operation = String(req.headers["x-amz-target"]).replace("TrentService.", "");
      const input = JSON.parse(body) as { KeyId?: string; EncryptionContext?: Record<string, string>; CiphertextBlob?: string };
      const context = input.EncryptionContext ?? {};
      const reply = (status: number, json: object) =>
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify(json));
      if (operation === "GenerateDataKey") {
        const plaintext = randomBytes(32).toString("base64");
        const ciphertext = randomBytes(48).toString("base64");
        wrapped.set(ciphertext, { plaintext, context: JSON.stringify(context) });
        calls.push({ operation, keyId: input.KeyId!, context });
        return reply(200, { KeyId: input.KeyId, Plaintext: plaintext, CiphertextBlob: ciphertext });
      }
      if (operation === "Decrypt") {
        const found = wrapped.get(input.CiphertextBlob!);
        calls.push({ operation, keyId: input.KeyId!, context });
        if (!found || found.context !== JSON.stringify(context)) return reply(400, { __type: "InvalidCiphertextException" });
        return reply(200, { KeyId: input.KeyId, Plaintext: found.plaintext, EncryptionAlgorithm: "SYMMETRIC_DEFAULT" });
      }
      return reply(400, { __type: "UnsupportedOperationException" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
