import { describe, expect, it } from "vitest";
import { createPatientIds } from "./patient-id.js";

describe("patient ids", () => {
  const patientId = createPatientIds("a-secret-of-enough-length");
  const on = new Date("2026-03-20T11:00:00Z");

  it("are the same for the same personnummer however it is written", () => {
    const id = patientId({ personalIdentityNumber: "19811218-9876" }, on);
    for (const form of ["198112189876", "811218-9876", "8112189876"]) expect(patientId({ personalIdentityNumber: form }, on)).toBe(id);
  });

  it("differ between people born a century apart whose ten digits are the same", () => {
    expect(patientId({ personalIdentityNumber: "19121212-1212" }, on)).not.toBe(patientId({ personalIdentityNumber: "20121212-1212" }, on));
    expect(patientId({ personalIdentityNumber: "121212+1212" }, on)).toBe(patientId({ personalIdentityNumber: "19121212-1212" }, on));
    expect(patientId({ personalIdentityNumber: "121212-1212" }, on)).toBe(patientId({ personalIdentityNumber: "20121212-1212" }, on));
  });

  it("differ between people and never contain the personnummer", () => {
    const id = patientId({ personalIdentityNumber: "19811218-9876" }, on);
    expect(id).not.toBe(patientId({ personalIdentityNumber: "19900101-1239" }, on));
    expect(id).not.toContain("9876");
  });

  it("differ with the secret", () => {
    const other = createPatientIds("another-secret-of-enough-length");
    expect(other({ personalIdentityNumber: "19811218-9876" }, on)).not.toBe(patientId({ personalIdentityNumber: "19811218-9876" }, on));
  });

  it("are refused for a number that is not one, rather than made up from its digits", () => {
    expect(() => patientId({ personalIdentityNumber: "99999999-9999" }, on)).toThrow(/^no patient id/);
  });

  it("fall back to date of birth and e-mail without a personnummer", () => {
    expect(patientId({ dateOfBirth: "1990-01-01", email: "Anna@Example.se " })).toBe(
      patientId({ dateOfBirth: "1990-01-01", email: "anna@example.se" }),
    );
  });
});
