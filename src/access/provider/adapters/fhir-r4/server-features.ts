import type { CapabilityStatement } from "@medplum/fhirtypes";

/** Which scheduling operations a server offers, by the implementation guide that defines them. */
export type SchedulingDialect = "ihe" | "argonaut";

/** What the adapter needs to know about one FHIR server, from its CapabilityStatement. */
export interface ServerFeatures {
  /** `transaction` Bundles: a slot claim and its Appointment in one all-or-nothing request. */
  transactions: boolean;
  /** $find, $hold and $book on Appointment, which enforce the slot rules themselves (and hold). */
  scheduling?: SchedulingDialect;
}

/** Before a server has been asked: the plain REST API every FHIR server has. */
export const plainServer: ServerFeatures = { transactions: false };

const definitions: Record<SchedulingDialect, string> = {
  ihe: "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-",
  argonaut: "http://fhir.org/guides/argonaut-scheduling/OperationDefinition/appointment-",
};

/**
 * Reads a CapabilityStatement. The scheduling operations count only when all
 * three ($find, $hold, $book) are declared on Appointment with the guide's
 * definitions (a version suffix `|1.0.0` allowed): an operation merely named
 * "find" may be anything.
 */
export function readServerFeatures(statement: CapabilityStatement): ServerFeatures {
  const rest = statement.rest?.find((r) => r.mode === "server") ?? statement.rest?.[0];
  const transactions = rest?.interaction?.some((i) => i.code === "transaction") ?? false;
  const operations = rest?.resource?.find((r) => r.type === "Appointment")?.operation ?? [];
  const offered = (dialect: SchedulingDialect) =>
    ["find", "hold", "book"].every((code) =>
      operations.some((o) => o.definition?.split("|")[0] === `${definitions[dialect]}${code}` && o.name.replace(/^\$/, "") === code),
    );
  const scheduling = (["ihe", "argonaut"] as const).find(offered);
  return { transactions, ...(scheduling ? { scheduling } : {}) };
}
