import { inject } from "vitest";
import { type DemoInMemory, startDemoInMemory } from "../../../src/host/demo-in-memory.js";

export type DemoSystem = DemoInMemory;

/** The in-memory demo system on a fresh table of this test run's DynamoDB Local. */
export const startDemoSystem = (options: Parameters<typeof startDemoInMemory>[1] = {}) =>
  startDemoInMemory(inject("dynamodbEndpoint"), options);
