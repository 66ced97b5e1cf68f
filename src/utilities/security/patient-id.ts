import { createHmac } from "node:crypto";
import { readPersonalIdentityNumber } from "./personal-identity-number.js";

export interface PatientIdentity {
  personalIdentityNumber?: string;
  dateOfBirth?: string;
  email?: string;
}

/**
 * A stable, opaque id for a patient, derived from who they are, so that their
 * reservations can be listed without a personal identity number ever
 * appearing in a URL, a log line or an index key. Keyed (HMAC): without the
 * secret, ids cannot be reversed by trying every personnummer.
 *
 * A personal identity number counts in its twelve-digit form, whichever way
 * it was written: ten digits leave out the century, and two people a century
 * apart must not share an id. `at` is when the number was given, which the
 * ten-digit forms' century depends on. A number that does not read as one is
 * refused: validate it first (readPersonalIdentityNumber).
 */
export function createPatientIds(secret: string) {
  if (secret.length < 16) throw new Error("patient id secret must be at least 16 characters");
  return (patient: PatientIdentity, at: Date = new Date()): string => {
    let identity: string;
    if (patient.personalIdentityNumber) {
      const reading = readPersonalIdentityNumber(patient.personalIdentityNumber, at);
      if (!reading.valid) throw new Error(`no patient id: the personal identity number ${reading.problem}`);
      identity = `pnr:${reading.number.digits}`;
    } else {
      identity = `dob:${patient.dateOfBirth ?? ""}|email:${(patient.email ?? "").trim().toLowerCase()}`;
    }
    return `pat_${createHmac("sha256", secret).update(identity).digest("base64url").slice(0, 22)}`;
  };
}
