import net from "node:net";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient, createRouterTransport, type ServiceImpl } from "@connectrpc/connect";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { ReservationSchema, ReservationStatus, TreatmentSchema } from "../../../contracts/v1/booking_pb.js";
import { BookingManagerService, ReservationResultSchema } from "../../../managers/booking/v1/booking_manager_pb.js";
import type { Scope } from "../../../utilities/security/api-keys.js";
import { type ApiOptions, buildApi } from "../build-api.js";

const key = "bp_test_aaaaaaaaaaaa_0123456789012345678901234567890123456789012";
const auth = { authorization: `Bearer ${key}` };
const apiKeys = {
  verify: async (value: string) =>
    value === key
      ? {
          keyId: "aaaaaaaaaaaa",
          prefix: "bp_test_aaaaaaaaaaaa",
          clientId: "vaarden",
          name: "t",
          scopes: ["availability:read", "reservations:read", "reservations:write"] as Scope[],
          createdAt: "",
        }
      : undefined,
};
const reservation = create(ReservationResultSchema, {
  reservation: create(ReservationSchema, {
    id: "res_1",
    status: ReservationStatus.HELD,
    start: timestampFromDate(new Date("2026-12-01T10:00:00Z")),
    end: timestampFromDate(new Date("2026-12-01T10:30:00Z")),
    patientId: "pat_x",
  }),
});
const manager: Partial<ServiceImpl<typeof BookingManagerService>> = {
  listTreatments: () => ({ treatments: [create(TreatmentSchema, { id: "dental-checkup", name: "Check-up" })] }),
  getReservation: () => reservation,
};

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function listening(options: Partial<ApiOptions> = {}) {
  app = await buildApi({
    bookingManager: createClient(
      BookingManagerService,
      createRouterTransport(({ service }) => service(BookingManagerService, manager)),
    ),
    authentication: { apiKeys },
    logger: false,
    ...options,
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  return (app.server.address() as net.AddressInfo).port;
}

/** Bytes on a socket, as a hostile or broken client would send them; the status line and headers that come back. */
function raw(port: number, chunks: string[], pauseMs = 0): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) break;
        socket.write(chunk);
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      }
    });
    let received = "";
    socket.on("data", (data) => (received += data));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      const [head = "", body = ""] = received.split("\r\n\r\n");
      resolve({ status: Number(head.split(" ")[1] ?? 0), headers: head.toLowerCase(), body });
    });
  });
}

describe("the REST API refuses what no honest client sends, always as problem+json", () => {
  it("a header section over 16 KiB: 431", async () => {
    const port = await listening();
    const answer = await raw(port, [`GET /v1/treatments HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(20_000)}\r\n\r\n`]);
    expect(answer.status).toBe(431);
    expect(answer.headers).toContain("content-type: application/problem+json");
    expect(JSON.parse(answer.body)).toMatchObject({ code: "headers-too-large", status: 431 });
  });

  it("a request sent a byte at a time: cut off at the request timeout with 408", async () => {
    const port = await listening({ limits: { requestTimeoutMs: 600, headersTimeoutMs: 600 } });
    const started = Date.now();
    const request = `GET /v1/treatments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nX-Slow: ${"s".repeat(40)}\r\n\r\n`;
    const answer = await raw(port, request.split(""), 40);
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toMatchObject({ code: "request-timeout" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("bytes that are not HTTP: 400", async () => {
    const port = await listening();
    const answer = await raw(port, ["GARBAGE\r\n\r\n"]);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ code: "malformed-request" });
  });

  it("a path parameter longer than any id: 414; broken percent-encoding: 400", async () => {
    const port = await listening();
    const long = await fetch(`http://127.0.0.1:${port}/v1/reservations/${"a".repeat(500)}`, { headers: auth });
    expect(long.status).toBe(414);
    expect(long.headers.get("content-type")).toContain("application/problem+json");
    const broken = await raw(port, [`GET /v1/reservations/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]);
    expect(broken.status).toBe(400);
    expect(broken.headers).toContain("application/problem+json");
  });

  it("a known path with the wrong method: 405 with Allow", async () => {
    const port = await listening();
    const answer = await fetch(`http://127.0.0.1:${port}/v1/treatments`, { method: "DELETE", headers: auth });
    expect(answer.status).toBe(405);
    expect(answer.headers.get("allow")).toBe("GET");
    expect(((await answer.json()) as { code: string }).code).toBe("method-not-allowed");
  });

  it.each([
    ["an unknown field", { unknown: 1 }, 400],
    ["an unknown field nested 10 000 deep", { deep: "NESTED" }, 400],
    ["900 KiB in an unknown field", { padding: "x".repeat(900 * 1024) }, 413],
    ["a 100 000-character treatment id", { treatmentId: "t".repeat(100_000) }, 413],
    ["a 5 000-character treatment id", { treatmentId: "t".repeat(5000) }, 400],
  ])("a reservation body with %s: %s, nothing asked below", async (_case, extra, status) => {
    const port = await listening();
    const body = {
      slotId: "a.b",
      treatmentId: "dental-checkup",
      patient: { name: "A", dateOfBirth: "1990-01-01", phone: "0701234567", email: "a@example.se" },
      ...extra,
    };
    const answer = await fetch(`http://127.0.0.1:${port}/v1/reservations`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json", "idempotency-key": "k" },
      // Too deep for JSON.stringify here; put in by hand.
      body: JSON.stringify(body).replace('"NESTED"', `${"[".repeat(10_000)}${"]".repeat(10_000)}`),
    });
    expect(answer.status).toBe(status);
    expect(answer.headers.get("content-type")).toContain("application/problem+json");
  });

  it("a query with a parameter it does not take: 400 naming it", async () => {
    const port = await listening();
    const answer = await fetch(`http://127.0.0.1:${port}/v1/clinics?treatment=x&admin=true`, { headers: auth });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(await answer.json())).toContain("additional properties");
  });
});

describe("the REST API's answers", () => {
  it("are never cached when they carry reservations, and carry the usual security headers", async () => {
    const port = await listening();
    const answer = await fetch(`http://127.0.0.1:${port}/v1/reservations/res_1`, { headers: auth });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
    expect(answer.headers.get("strict-transport-security")).toContain("max-age=");
    expect(answer.headers.get("content-security-policy")).toContain("default-src 'self'");
  });
});

describe("rate limits", () => {
  it("answer a client over its limit with 429, Retry-After and the RateLimit headers", async () => {
    const port = await listening({
      rateLimits: { "availability:read": 3, "reservations:read": 3, "reservations:write": 3, admin: 3, open: 100 },
    });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await fetch(`http://127.0.0.1:${port}/v1/treatments`, { headers: auth });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(last!.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(last!.headers.get("ratelimit-limit")).toBe("3");
    expect(last!.headers.get("ratelimit-remaining")).toBe("0");
    expect(((await last!.json()) as { code: string }).code).toBe("rate-limited");
    // Another scope has its own budget.
    expect((await fetch(`http://127.0.0.1:${port}/v1/reservations/res_1`, { headers: auth })).status).toBe(200);
  });

  it("stop an address guessing keys before its guesses reach the key store", async () => {
    let lookups = 0;
    const port = await listening({
      authentication: {
        apiKeys: {
          verify: async (value: string) => {
            lookups++;
            return apiKeys.verify(value);
          },
        },
        maxFailuresPerMinute: 5,
      },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const guess = `bp_test_aaaaaaaaaaaa_${String(i).padStart(43, "0")}`;
      statuses.push((await fetch(`http://127.0.0.1:${port}/v1/treatments`, { headers: { authorization: `Bearer ${guess}` } })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect(lookups).toBe(5);
  });
});
