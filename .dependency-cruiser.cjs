/**
 * The IDesign call rules of DESIGN.md, checked on every `npm test`
 * (`npm run lint:arch`). Layers, top to bottom: client → managers → engines →
 * access → resources; utilities and contracts serve every layer.
 * A service reaches another only through that service's gRPC contract (its v1/
 * folder), never through its implementation. src/host is the composition root
 * (npm start, in-memory wiring) and is the one place allowed to see everything.
 */
const layer = (name) => `^src/${name}/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "nothing-calls-the-client",
      comment: "The REST API is the top layer: no service below it may depend on it.",
      severity: "error",
      from: { path: "^src/(managers|engines|access|utilities|contracts)/" },
      to: { path: layer("client") },
    },
    {
      name: "client-calls-managers-only",
      comment: "Clients call Managers only, never Engines or ResourceAccess.",
      severity: "error",
      from: { path: layer("client") },
      to: { path: "^src/(engines|access)/" },
    },
    {
      name: "no-manager-to-manager",
      comment:
        "A Manager never calls another Manager synchronously: queue it, or let the other learn through the data (booking ↔ onboarding: instances and catalogs are in the table).",
      severity: "error",
      from: { path: "^src/managers/([^/]+)/" },
      to: { path: layer("managers"), pathNot: "^src/managers/$1/" },
    },
    {
      name: "engines-call-down-only",
      comment: "Engines call ResourceAccess, never Managers.",
      severity: "error",
      from: { path: layer("engines") },
      to: { path: layer("managers") },
    },
    {
      name: "no-engine-to-engine",
      comment: "An Engine never calls another Engine.",
      severity: "error",
      from: { path: "^src/engines/([^/]+)/" },
      to: { path: layer("engines"), pathNot: "^src/engines/$1/" },
    },
    {
      name: "access-calls-resources-only",
      comment: "ResourceAccess calls Resources (DynamoDB, provider APIs), never Managers or Engines.",
      severity: "error",
      from: { path: layer("access") },
      to: { path: "^src/(managers|engines)/" },
    },
    {
      name: "no-access-to-access",
      comment: "ResourceAccess never calls another ResourceAccess.",
      severity: "error",
      from: { path: "^src/access/([^/]+)/" },
      to: { path: layer("access"), pathNot: "^src/access/$1/" },
    },
    {
      name: "services-meet-through-contracts",
      comment: "Another service is reached through its gRPC contract (v1/), not by importing its code.",
      severity: "error",
      from: { path: "^src/(client|managers|engines|access)/([^/]+)/" },
      to: { path: "^src/(client|managers|engines|access)/[^/]+/(?!v1/)", pathNot: "^src/$1/$2/" },
    },
    {
      name: "utilities-serve-every-layer",
      comment: "Utilities are cross-cutting and must not depend on any layer.",
      severity: "error",
      from: { path: "^src/(utilities|contracts)/" },
      to: { path: "^src/(client|managers|engines|access|host)/" },
    },
    {
      name: "only-the-host-composes",
      comment: "Only the composition root (src/host) may import it.",
      severity: "error",
      from: { pathNot: "^(src/host/|test/)" },
      to: { path: layer("host") },
    },
    {
      name: "console-speaks-rest-only",
      comment:
        "The operator console runs in a browser and is a client of the public admin REST API through the typed client (@booking-platform/client): no import of any service, contract or utility, so it has no path into the platform that curl has not.",
      severity: "error",
      from: { path: "^src/client/console/" },
      to: { path: "^src/", pathNot: "^src/client/console/" },
    },
    {
      name: "nothing-imports-the-console",
      comment: "The console is browser code, built on its own (scripts/build-console.mjs); no service may load it.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/client/console/" },
      to: { path: "^src/client/console/" },
    },
    {
      name: "no-circular",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)node_modules/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
