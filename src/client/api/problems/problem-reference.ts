import { problemCatalog, problemNames, problemTypeUri } from "./problem-catalog.js";

export const problemReferenceFile = "docs/reference/problems.md";

/** docs/reference/problems.md, generated from the catalog (`npm run generate`); a test keeps it current. */
export function renderProblemReference(): string {
  const rows = problemNames.map((name) => {
    const { status, title, when } = problemCatalog[name];
    return `| \`${name}\` | ${status} | ${title} | ${when.replaceAll("|", "\\|")} |`;
  });
  return `# Problem types

<!-- Generated from src/client/api/problems/problem-catalog.ts by \`npm run generate\`; do not edit. -->

Every error the REST API answers is an RFC 9457 problem (\`application/problem+json\`)
with a \`code\` from this table, and a \`type\` of \`/problems/<code>\`: a page the API
itself serves (\`GET /problems\` lists them all). The status of each answer comes from
this catalog. The OpenAPI document lists, per operation, which of these it can answer.

Inside the platform, failures travel between services as reasons (\`google.rpc.ErrorInfo\`,
\`contracts.v1.ErrorReason\`); \`src/client/api/problems/problem-for-error.ts\` says which
reason becomes which problem.

| code | status | title | when it happens |
|---|---|---|---|
${rows.join("\n")}

The \`type\` URIs are relative (\`${problemTypeUri("slot-taken")}\`), so they resolve to the
page on whichever host served the answer, and stay the same identifier in every environment.
`;
}
