import type { CapabilityStatement, CapabilityStatementRestResource } from "@medplum/fhirtypes";

/** The canonical URLs of the IHE ITI Scheduling operations, as a server declares them. */
export const iheOperations = {
  find: "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-find",
  hold: "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-hold",
  book: "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-book",
};

const read = [{ code: "read" as const }, { code: "search-type" as const }];
const write = [...read, { code: "create" as const }, { code: "update" as const }];

/**
 * What the server says it can do, at GET /metadata: the resources, their
 * search parameters and includes, versioned updates, transactions (unless
 * told to be a server without), and, only
 * when it offers them, the IHE scheduling operations on Appointment.
 */
export function capabilityStatement(baseUrl: string, options: { ihe: boolean; transactions: boolean }): CapabilityStatement {
  const resource = (type: string, rest: Omit<CapabilityStatementRestResource, "type">): CapabilityStatementRestResource =>
    ({ type, ...rest }) as CapabilityStatementRestResource;
  return {
    resourceType: "CapabilityStatement",
    status: "active",
    date: "2026-01-01",
    kind: "instance",
    software: { name: "Booking Platform FHIR simulator" },
    implementation: { description: "A generic FHIR R4 server with a clinic's scheduling data", url: baseUrl },
    fhirVersion: "4.0.1",
    format: ["json"],
    ...(options.ihe ? { instantiates: ["https://profiles.ihe.net/ITI/Scheduling/CapabilityStatement/IHE.Scheduling.server"] } : {}),
    rest: [
      {
        mode: "server",
        security: { description: "Every interaction but this one requires an OAuth 2.0 bearer token (Authorization: Bearer …)." },
        interaction: options.transactions ? [{ code: "transaction" }] : [],
        resource: [
          resource("Location", { interaction: read, searchParam: [{ name: "_id", type: "token" }] }),
          resource("Practitioner", { interaction: read, searchParam: [{ name: "_id", type: "token" }] }),
          resource("Schedule", {
            interaction: read,
            searchParam: [
              { name: "actor", type: "reference" },
              { name: "service-type", type: "token" },
              { name: "active", type: "token" },
            ],
            searchInclude: ["Schedule:actor"],
          }),
          resource("Slot", {
            interaction: write,
            versioning: "versioned-update",
            searchParam: [
              { name: "schedule", type: "reference" },
              { name: "start", type: "date" },
              { name: "status", type: "token" },
              { name: "service-type", type: "token" },
            ],
            searchInclude: ["Slot:schedule"],
          }),
          resource("Appointment", {
            interaction: write,
            versioning: "versioned-update",
            searchParam: [
              { name: "identifier", type: "token" },
              { name: "slot", type: "reference" },
              { name: "status", type: "token" },
              { name: "date", type: "date" },
            ],
            ...(options.ihe
              ? {
                  operation: [
                    { name: "find", definition: iheOperations.find },
                    { name: "hold", definition: iheOperations.hold },
                    { name: "book", definition: iheOperations.book },
                  ],
                }
              : {}),
          }),
        ],
      },
    ],
  };
}
