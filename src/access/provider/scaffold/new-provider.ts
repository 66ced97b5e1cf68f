/**
 * `npm run provider:new -- <name>`: a new provider adapter, its simulator and
 * its conformance test, wired into the registry. See the README's
 * "From a signed provider to live" for the steps after this one.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { scaffoldProvider, templateAdapter } from "./scaffold-provider.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const name = process.argv[2];
if (!name) {
  console.error("usage: npm run provider:new -- <name>     e.g. npm run provider:new -- acme-care");
  process.exit(2);
}
try {
  const { folder, files } = scaffoldProvider(root, name);
  console.log(`Created ${folder} from the ${templateAdapter} template:\n${files.map((f) => `  ${f}`).join("\n")}

Next:
  1. npm test                      passes as it is: the copy speaks ${templateAdapter}'s protocol
  2. change ${folder}/simulator/ to speak the provider's real protocol (its docs, its sample payloads)
  3. change ${folder}/${name}-adapter.ts until ${folder}/${name}.conformance.int.spec.ts passes again
  4. add an instance to config/providers.json and map its clinics and treatments (config/demo-catalog.json shows the shape)`);
} catch (error) {
  console.error(`provider:new: ${(error as Error).message}`);
  process.exit(1);
}
