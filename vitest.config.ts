import { defineConfig } from "vitest/config";

/**
 * Three test layers (run one with `npm run test:unit|test:integration|test:system`):
 * - unit: one service at a time, fakes for the layer below (`*.spec.ts` beside the code);
 * - integration: services against real DynamoDB Local and real simulators, and the
 *   whole system composed in one process over in-memory gRPC (`*.int.spec.ts`, test/integration);
 * - system: every service its own process, real gRPC, driven through the typed client (test/system).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.spec.ts", "packages/*/src/**/*.spec.ts", "test/architecture/**/*.spec.ts", "test/contracts/**/*.spec.ts"],
          exclude: ["**/*.int.spec.ts", "**/node_modules/**"],
        },
      },
    ],
  },
});
