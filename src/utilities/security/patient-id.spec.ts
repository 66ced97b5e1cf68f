import { describe, expect, it } from "vitest";
import { createPatientIds } from "./patient-id.js";

describe("patient ids", () => {
  const patientId = createPatientIds("a-secret-of-enough-length");

  it("are the same for the same personnummer however it is written", () => {
    expect(patientId({ personalIdentityNumber: "19900101-1234" })).toBe(patientId({ personalIdentityNumber: "9001011234" }));
  });

  it("differ between people and never contain the personnummer", () => {
    const id = patientId({ personalIdentityNumber: "19900101-1234" });
    expect(id).not.toBe(patientId({ personalIdentityNumber: "19900101-1242" }));
    expect(id).not.toContain("1234");
  });

  it("fall back to date of birth and e-mail without a personnummer", () => {
    expect(patientId({ dateOfBirth: "1990-01-01", email: "Anna@Example.se " })).toBe(
      patientId({ dateOfBirth: "1990-01-01", email: "anna@example.se" }),
    );
  });
});
