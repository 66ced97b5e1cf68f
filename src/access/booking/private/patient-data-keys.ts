import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { KeyringNode } from "@aws-crypto/client-node";
import { patientDataKeySource } from "../../../utilities/config/secrets.js";
import { kmsKeyring, rawAesKeyring } from "./patient-data-cipher.js";

/**
 * Where the key to patients' data comes from: a KMS key in AWS
 * (BP_PATIENT_DATA_KEY_ARN), a key file elsewhere (BP_PATIENT_DATA_KEY_FILE,
 * default .data/patient-data.key, which `npm start` creates). Only booking
 * access, and the migration that encrypts old items, ever hold it.
 */
export function patientDataKeyring(env: NodeJS.ProcessEnv = process.env): { keyring: KeyringNode; description: string } {
  const source = patientDataKeySource(env);
  if (source.kind === "kms") {
    return { keyring: kmsKeyring(source.keyArn, { endpoint: env.KMS_ENDPOINT || undefined }), description: `KMS key ${source.keyArn}` };
  }
  return { keyring: rawAesKeyring(readPatientDataKeyFile(source.path)), description: `the key file ${source.path}` };
}

/**
 * Makes a key file with a random 256-bit key, readable by its owner only,
 * unless one is there already (never replaced: the data under it would be
 * lost). Returns whether it made one.
 */
export function ensurePatientDataKeyFile(file: string): boolean {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    // "wx": two starts racing cannot both write a key, and one cannot overwrite the other's.
    writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** The key in a key file (base64, one line), refused when others may read the file, as ssh refuses a loose private key. */
export function readPatientDataKeyFile(file: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    throw new Error(
      `the patient data key file ${file} does not exist: \`npm start\` creates it; elsewhere set BP_PATIENT_DATA_KEY_FILE to the key the data was written with`,
    );
  }
  const mode = statSync(file).mode & 0o777;
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    throw new Error(`the patient data key file ${file} may be read by others (mode ${mode.toString(8)}): chmod 600 ${file}`);
  }
  const key = Buffer.from(text, "base64");
  if (key.length !== 32 || key.toString("base64") !== text) throw new Error(`${file} does not hold a 256-bit key in base64`);
  return key;
}
