import { type BookingClient, createBookingClient } from "@booking-platform/client";
import { inject } from "vitest";
import { createDynamoDbClients } from "../../../src/utilities/dynamodb/dynamodb-config.js";
import { createApiKeyStore } from "../../../src/utilities/security/api-key-store.js";
import type { Scope } from "../../../src/utilities/security/api-keys.js";

/**
 * A key of exactly these scopes for a client of a running system, made through the API key store
 * as `npm run keys -- create` makes them (the system's table: topology.json's "booking-platform").
 */
export async function createKeyFor(dynamodbEndpoint: string, clientId: string, scopes: Scope[]): Promise<string> {
  const { client, documents } = createDynamoDbClients({ endpoint: dynamodbEndpoint, tableName: "booking-platform", region: "eu-north-1" });
  try {
    const { value } = await createApiKeyStore(documents, "booking-platform").create({
      clientId,
      name: `${clientId} (system test)`,
      scopes,
      environment: "test",
    });
    return value;
  } finally {
    client.destroy();
  }
}

/** A client system of the shared running system with a key of exactly these scopes. */
export async function clientWithScopes(clientId: string, scopes: Scope[]): Promise<BookingClient> {
  const system = inject("system");
  const key = await createKeyFor(system.dynamodbEndpoint, clientId, scopes);
  return createBookingClient({ baseUrl: system.apiUrl, headers: { authorization: `Bearer ${key}` } });
}

/** Until the sync has ended (any state but running), or the timeout. */
export async function waitForSync(admin: BookingClient, syncId: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { data } = await admin.GET("/v1/admin/syncs/{syncId}", { params: { path: { syncId } } });
    if (data && data.state !== "running") return data;
    if (Date.now() > until) throw new Error(`sync ${syncId} still ${data?.state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A weekday at least `daysAhead` days from now, as a calendar date. */
export function weekday(daysAhead: number): string {
  const date = new Date(Date.now() + daysAhead * 86_400_000);
  while (date.getUTCDay() === 0 || date.getUTCDay() === 6) date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}
