import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connects, outwardAddresses } from "../../../test/support/network.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "./dynamodb-local.js";

describe("DynamoDB Local as the platform starts it", () => {
  let db: DynamoDbLocal;
  beforeAll(async () => {
    db = await startDynamoDbLocal();
  });
  afterAll(() => db.stop());

  it("answers on 127.0.0.1", async () => {
    expect(await connects("127.0.0.1", db.port)).toBe(true);
  });

  it("is not reachable from the network: it listens on loopback only", async ({ skip }) => {
    const addresses = outwardAddresses();
    if (addresses.length === 0) skip("this machine has no network interface besides loopback");
    for (const address of addresses) expect(await connects(address, db.port), address).toBe(false);
  });
});
