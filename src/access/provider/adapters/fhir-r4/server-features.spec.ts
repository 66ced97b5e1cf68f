import type { CapabilityStatement } from "@medplum/fhirtypes";
import { describe, expect, it } from "vitest";
import { readServerFeatures } from "./server-features.js";

const statement = (interaction: string[], operations: Array<{ name: string; definition: string }>): CapabilityStatement => ({
  resourceType: "CapabilityStatement",
  status: "active",
  date: "2026-01-01",
  kind: "instance",
  fhirVersion: "4.0.1",
  format: ["json"],
  rest: [
    {
      mode: "server",
      interaction: interaction.map((code) => ({ code: code as "transaction" })),
      resource: [{ type: "Appointment", operation: operations }],
    },
  ],
});
const ihe = (code: string) => ({
  name: code,
  definition: `https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-${code}`,
});

describe("what a FHIR server can do, from its CapabilityStatement", () => {
  it("a plain server: transactions if it says so, no scheduling operations", () => {
    expect(readServerFeatures(statement(["transaction"], []))).toEqual({ transactions: true });
    expect(readServerFeatures(statement([], []))).toEqual({ transactions: false });
  });

  it("the IHE operations, by their definitions, a version suffix allowed", () => {
    const ops = [ihe("find"), ihe("hold"), { ...ihe("book"), definition: `${ihe("book").definition}|1.0.0` }];
    expect(readServerFeatures(statement(["transaction"], ops))).toEqual({ transactions: true, scheduling: "ihe" });
  });

  it("the Argonaut operations", () => {
    const argonaut = ["find", "hold", "book"].map((code) => ({
      name: code,
      definition: `http://fhir.org/guides/argonaut-scheduling/OperationDefinition/appointment-${code}`,
    }));
    expect(readServerFeatures(statement([], argonaut)).scheduling).toBe("argonaut");
  });

  it("not operations that are merely named find, hold and book, nor an incomplete set", () => {
    const named = ["find", "hold", "book"].map((code) => ({ name: code, definition: `https://vendor.example/op/${code}` }));
    expect(readServerFeatures(statement([], named)).scheduling).toBeUndefined();
    expect(readServerFeatures(statement([], [ihe("find"), ihe("hold")])).scheduling).toBeUndefined();
  });
});
