import { createHmac } from "node:crypto";

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
 */
export function createPatientIds(secret: string) {
  if (secret.length < 16) throw new Error("patient id secret must be at least 16 characters");
  return (patient: PatientIdentity): string => {
    const pnr = patient.personalIdentityNumber?.replace(/[-+]/g, "");
    // YYMMDDNNNN and YYYYMMDDNNNN name the same person: keep the last ten digits.
    const identity = pnr ? `pnr:${pnr.slice(-10)}` : `dob:${patient.dateOfBirth ?? ""}|email:${(patient.email ?? "").trim().toLowerCase()}`;
    return `pat_${createHmac("sha256", secret).update(identity).digest("base64url").slice(0, 22)}`;
  };
}
