import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * Three test layers; `npm test` runs all of them, `npm run test:<layer>` one.
 * - unit: one service at a time, fakes for the layer below (`*.spec.ts` beside the code).
 * - integration: real DynamoDB Local and real simulators over HTTP (`*.int.spec.ts` beside
 *   the code), and the whole system composed in one process over in-memory gRPC
 *   transports (test/integration).
 * - system: what `npm start` runs, every service its own process, real gRPC, driven
 *   through the typed client (test/system, packages/client/test).
 */
export default defineConfig({
  // The typed client from its sources, as tsconfig.json's `paths` says: its package exports only
  // the compiled dist/, which exists once it is built for packing.
  resolve: { alias: { "@booking-platform/client": fileURLToPath(new URL("./packages/client/src/index.ts", import.meta.url)) } },
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "src/**/*.spec.ts",
            "packages/*/src/**/*.spec.ts",
            "test/architecture/**/*.spec.ts",
            "test/contracts/**/*.spec.ts",
            "test/rpc/**/*.spec.ts",
            "test/deploy/**/*.spec.ts",
            "bench/**/*.spec.ts",
            "test/build/**/*.spec.ts",
          ],
          exclude: ["**/*.int.spec.ts", "**/node_modules/**"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["src/**/*.int.spec.ts", "test/integration/**/*.test.ts"],
          globalSetup: ["src/utilities/dynamodb/vitest-global-setup.ts"],
          testTimeout: 20_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "system",
          include: ["test/system/**/*.test.ts", "packages/client/test/**/*.test.ts"],
          globalSetup: ["test/system/global-setup.ts"],
          // One running system is shared; faults injected by one file must not leak into another.
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
