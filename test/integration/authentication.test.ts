import { execFile } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { BookingClient, Reservation } from "@booking-platform/client";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Scope } from "../../src/utilities/security/api-keys.js";
import { type DemoSystem, startDemoSystem } from "./support/demo-system.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const patient = { name: "Ingrid Ingvarsson", personalIdentityNumber: "19700101-1233", phone: "0701230000", email: "ingrid@example.se" };

/** A tiny identity provider: its JWKS over HTTP, and access tokens it signs. */
async function startIdentityProvider() {
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "ES256", use: "sig" };
  const server = http.createServer((_req, res) =>
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] })),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  const issuer = "https://idp.test";
  const audience = "booking-platform";
  const token = (claims: Record<string, unknown>, options: { audience?: string; expiresIn?: string; key?: CryptoKey } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: "test-key" })
      .setIssuer(issuer)
      .setAudience(options.audience ?? audience)
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? "5m")
      .sign(options.key ?? privateKey);
  return { oauth: { jwksUrl, issuer, audience }, token, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

interface Operation {
  method: "GET" | "POST";
  path: string;
  operationId: string;
  scope: Scope;
}

describe("who may call, and what each may do", () => {
  let demo: DemoSystem;
  let idp: Awaited<ReturnType<typeof startIdentityProvider>>;
  let operations: Operation[];
  let mine: Reservation;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    idp = await startIdentityProvider();
    demo = await startDemoSystem({ oauth: idp.oauth });
    keys.all = demo.apiKey;
    keys.other = (await demo.clientFor("another-marketplace")).apiKey;
    keys.availabilityOnly = (await demo.clientFor("search-widget", ["availability:read"])).apiKey;
    keys.reservationsReadOnly = (await demo.clientFor("reporting", ["reservations:read"])).apiKey;
    const revoked = await demo.system.apiKeys.create({
      clientId: "old-integration",
      name: "revoked",
      scopes: ["availability:read", "reservations:read", "reservations:write"],
      environment: "test",
    });
    await demo.system.apiKeys.revoke(revoked.record.keyId);
    keys.revoked = revoked.value;
    keys.wrong = keys.all.slice(0, -4) + (keys.all.endsWith("AAAA") ? "BBBB" : "AAAA");
    mine = await reserveOne(demo.client, 23);
    // Every /v1 operation of the document, with the scope it declares: a new route is in the matrix at once.
    const document = (await (await fetch(`${demo.baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId: string; security?: Array<Record<string, string[]>> }>>;
    };
    operations = Object.entries(document.paths)
      .filter(([route]) => route.startsWith("/v1/"))
      .flatMap(([route, methods]) =>
        Object.entries(methods).map(([method, op]) => ({
          method: method.toUpperCase() as "GET" | "POST",
          path: route,
          operationId: op.operationId,
          scope: op.security?.[0]?.bearerAuth?.[0] as Scope,
        })),
      );
  });
  afterAll(async () => {
    await demo?.close();
    await idp?.close();
  });

  /** One request of an operation, on a reservation and patient of client "vaarden", with the given credential. */
  const call = (op: Operation, authorization?: string) => {
    const url = op.path.replace("{reservationId}", mine.id).replace("{patientId}", mine.patientId);
    const query = op.path === "/v1/availability" ? `?treatment=dental-checkup&from=${day(23)}&to=${day(23)}` : "";
    const body =
      op.operationId === "createReservation" ? JSON.stringify({ slotId: "x.y", treatmentId: "dental-checkup", patient }) : undefined;
    return fetch(`${demo.baseUrl}${url}${query}`, {
      method: op.method,
      headers: {
        ...(authorization ? { authorization } : {}),
        ...(op.method === "POST" ? { "idempotency-key": `matrix-${Math.random()}` } : {}),
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body,
    });
  };

  it("covers every /v1 operation, each declaring the scope it needs", () => {
    expect(operations.map((o) => o.operationId).sort()).toEqual(
      expect.arrayContaining([
        "cancelReservation",
        "confirmReservation",
        "createReservation",
        "getReservation",
        "listPatientReservations",
        "searchAvailability",
      ]),
    );
    for (const op of operations)
      expect(["availability:read", "reservations:read", "reservations:write", "admin"], op.operationId).toContain(op.scope);
  });

  it.each([
    ["no credential", () => undefined],
    ["an unknown key", () => `Bearer ${keys.wrong}`],
    ["a revoked key", () => `Bearer ${keys.revoked}`],
    ["a token not signed by the identity provider", () => "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"],
  ])("refuses every /v1 operation with %s: 401, WWW-Authenticate, problem+json", async (_case, credential) => {
    for (const op of operations) {
      const response = await call(op, credential());
      expect(response.status, op.operationId).toBe(401);
      expect(response.headers.get("www-authenticate"), op.operationId).toMatch(/^Bearer realm="booking-platform"/);
      expect(((await response.json()) as { code: string }).code).toBe("unauthenticated");
    }
  });

  it("refuses every /v1 operation to a key without its scope: 403 naming the scope", async () => {
    for (const op of operations) {
      const lacking = op.scope === "availability:read" ? keys.reservationsReadOnly : keys.availabilityOnly;
      const response = await call(op, `Bearer ${lacking}`);
      expect(response.status, op.operationId).toBe(403);
      expect(response.headers.get("www-authenticate")).toContain(`scope="${op.scope}"`);
      expect((await response.json()) as { code: string; detail: string }).toMatchObject({
        code: "forbidden",
        detail: expect.stringContaining(op.scope),
      });
    }
  });

  it("lets through a key with the scope", async () => {
    for (const op of operations.filter((o) => o.scope === "availability:read")) {
      expect((await call(op, `Bearer ${keys.availabilityOnly}`)).status, op.operationId).toBe(200);
    }
  });

  it("shows, confirms and cancels a reservation to the client that made it only: another client gets 404", async () => {
    for (const op of operations.filter((o) => o.path.includes("{reservationId}"))) {
      const response = await call(op, `Bearer ${keys.other}`);
      expect(response.status, op.operationId).toBe(404);
    }
    const list = await call(operations.find((o) => o.operationId === "listPatientReservations")!, `Bearer ${keys.other}`);
    expect(((await list.json()) as { items: unknown[] }).items).toEqual([]);
    const own = await demo.client.GET("/v1/reservations/{reservationId}", { params: { path: { reservationId: mine.id } } });
    expect(own.data?.status).toBe("held");
  });

  it("keeps two clients' Idempotency-Keys apart", async () => {
    const other = (await demo.clientFor("third-marketplace")).client;
    const key = `shared-${Date.now()}`;
    const a = await reserveOne(demo.client, 24, key);
    const b = await reserveOne(other, 25, key);
    expect(b.id).not.toBe(a.id);
  });

  describe("OAuth2 client-credential tokens, where configured", () => {
    it("are accepted with their scopes, and act as their client", async () => {
      const token = await idp.token({ client_id: "vaarden-app", scope: "availability:read reservations:read" });
      const search = operations.find((o) => o.operationId === "searchAvailability")!;
      expect((await call(search, `Bearer ${token}`)).status).toBe(200);
      // Another client than "vaarden", whose reservation this is.
      const getOne = operations.find((o) => o.operationId === "getReservation")!;
      expect((await call(getOne, `Bearer ${token}`)).status).toBe(404);
      const reserve = operations.find((o) => o.operationId === "createReservation")!;
      expect((await call(reserve, `Bearer ${token}`)).status).toBe(403);
    });

    it.each([
      ["for another audience", () => idp.token({ client_id: "vaarden-app", scope: "availability:read" }, { audience: "someone-else" })],
      ["expired", () => idp.token({ client_id: "vaarden-app", scope: "availability:read" }, { expiresIn: "-1m" })],
    ])("are refused when %s", async (_case, make) => {
      const search = operations.find((o) => o.operationId === "searchAvailability")!;
      expect((await call(search, `Bearer ${await make()}`)).status).toBe(401);
    });
  });

  it("manages keys from the command line: create shows the key once, list shows no secret, revoke stops it", async () => {
    const keysCli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [path.join(root, "scripts/start.mjs"), "--entry", "client/keys/main.js", ...args], {
        cwd: root,
        env: { ...process.env, DYNAMODB_ENDPOINT: inject("dynamodbEndpoint"), DYNAMODB_TABLE: demo.tableName, AWS_REGION: "eu-north-1" },
      });
    const created = await keysCli("create", "--client", "cli-client", "--scopes", "availability:read", "--env", "test");
    const value = created.stdout.trim();
    expect(value).toMatch(/^bp_test_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    const search = operations.find((o) => o.operationId === "searchAvailability")!;
    expect((await call(search, `Bearer ${value}`)).status).toBe(200);
    const listed = (await keysCli("list", "--client", "cli-client")).stdout;
    const keyId = value.split("_")[2]!;
    expect(listed).toContain(keyId);
    expect(listed).not.toContain(value.split("_")[3]!);
    await keysCli("revoke", keyId);
    expect((await call(search, `Bearer ${value}`)).status).toBe(401);
    expect((await keysCli("list", "--client", "cli-client")).stdout).toContain("revoked");
  });
});

function day(daysAhead: number): string {
  const date = new Date(Date.now() + daysAhead * 86_400_000);
  while (date.getUTCDay() === 0 || date.getUTCDay() === 6) date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

async function reserveOne(client: BookingClient, daysAhead: number, idempotencyKey = `auth-${Math.random()}`): Promise<Reservation> {
  const { data } = await client.GET("/v1/availability", {
    params: { query: { treatment: "dental-hygiene", clinic: ["odenplan-clinic"], from: day(daysAhead), to: day(daysAhead), pageSize: 50 } },
  });
  for (const slot of data!.items) {
    const { data: reservation } = await client.POST("/v1/reservations", {
      params: { header: { "idempotency-key": idempotencyKey } },
      body: { slotId: slot.slotId, treatmentId: slot.treatmentId, patient },
    });
    if (reservation) return reservation;
  }
  throw new Error("no slot could be reserved");
}
