import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport, type ServiceImpl } from "@connectrpc/connect";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import {
  ProviderOutcomeSchema,
  ProviderStatus,
  ReservationSchema,
  ReservationStatus,
  SlotSchema,
  TreatmentSchema,
} from "../../contracts/v1/booking_pb.js";
import {
  BookingManagerService,
  type CreateReservationRequest,
  ReservationResultSchema,
  type SearchAvailabilityRequest,
} from "../../managers/booking/v1/booking_manager_pb.js";
import { ErrorReason, platformError } from "../../utilities/errors/platform-error.js";
import type { Scope } from "../../utilities/security/api-keys.js";
import { buildApi } from "./build-api.js";

const searches: SearchAvailabilityRequest[] = [];
const slot = create(SlotSchema, {
  slotId: "abc.def",
  clinicId: "odenplan-clinic",
  treatmentId: "dental-checkup",
  start: timestampFromDate(new Date("2026-03-30T07:00:00Z")),
  end: timestampFromDate(new Date("2026-03-30T07:30:00Z")),
  localStart: "2026-03-30T09:00:00+02:00",
  localEnd: "2026-03-30T09:30:00+02:00",
  timeZone: "Europe/Stockholm",
  practitionerName: "Dr. Lind",
  providerInstanceId: "kb",
});

let app: FastifyInstance | undefined;
afterEach(async () => {
  searches.length = 0;
  await app?.close();
});

async function apiWith(manager: Partial<ServiceImpl<typeof BookingManagerService>>, ready?: () => Promise<boolean>) {
  const bookingManager = createClient(
    BookingManagerService,
    createRouterTransport(({ service }) => service(BookingManagerService, manager)),
  );
  app = await buildApi({ bookingManager, logger: false, ready, authentication: { apiKeys: testKeys } });
  return app;
}

const healthyManager: Partial<ServiceImpl<typeof BookingManagerService>> = {
  listTreatments: () => ({ treatments: [create(TreatmentSchema, { id: "dental-checkup", name: "Dental check-up", durationMinutes: 30 })] }),
  searchAvailability: (request) => {
    searches.push(request);
    return {
      slots: [slot],
      providers: [create(ProviderOutcomeSchema, { providerInstanceId: "kb", status: ProviderStatus.OK, slotCount: 1 })],
      nextPageToken: "next",
    };
  },
};

/** One client system with every scope; the matrix of credentials and scopes is tested against the real key store (test/integration). */
const testKey = "bp_test_aaaaaaaaaaaa_0123456789012345678901234567890123456789012";
const testKeys = {
  verify: async (value: string) =>
    value === testKey
      ? {
          keyId: "aaaaaaaaaaaa",
          prefix: "bp_test_aaaaaaaaaaaa",
          clientId: "vaarden",
          name: "test",
          scopes: ["availability:read", "reservations:read", "reservations:write"] as Scope[],
          createdAt: "2026-01-01T00:00:00Z",
        }
      : undefined,
};
const auth = { authorization: `Bearer ${testKey}` };
const get = (url: string) => app!.inject({ method: "GET", url, headers: auth });

describe("the REST API", () => {
  it("lists treatments", async () => {
    await apiWith(healthyManager);
    const response = await get("/v1/treatments");
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      items: [
        {
          id: "dental-checkup",
          name: "Dental check-up",
          description: "",
          durationMinutes: 30,
          minLeadMinutes: 0,
          cancellationWindowHours: 0,
        },
      ],
    });
  });

  it("reads calendar dates as dates in the clinics' own time zones", async () => {
    await apiWith(healthyManager);
    const response = await get("/v1/availability?treatment=dental-checkup&from=2026-03-29&to=2026-03-30");
    expect(response.statusCode).toBe(200);
    expect(searches[0]).toMatchObject({
      treatmentId: "dental-checkup",
      localFromDate: "2026-03-29",
      localToDate: "2026-03-30",
      pageSize: 20,
    });
    expect(searches[0]?.window).toBeUndefined();
    expect(response.json()).toEqual({
      items: [
        {
          slotId: "abc.def",
          clinicId: "odenplan-clinic",
          treatmentId: "dental-checkup",
          start: "2026-03-30T07:00:00.000Z",
          end: "2026-03-30T07:30:00.000Z",
          localStart: "2026-03-30T09:00:00+02:00",
          localEnd: "2026-03-30T09:30:00+02:00",
          timeZone: "Europe/Stockholm",
          practitionerName: "Dr. Lind",
          providerInstanceId: "kb",
        },
      ],
      providers: [{ providerInstanceId: "kb", status: "ok", slotCount: 1 }],
      nextPageToken: "next",
    });
  });

  it("reads instants with an offset as an absolute window", async () => {
    await apiWith(healthyManager);
    const response = await get(
      "/v1/availability?treatment=dental-checkup&from=2026-03-29T10:00:00%2B02:00&to=2026-03-29T12:00:00Z&pageSize=5&pageToken=tok",
    );
    expect(response.statusCode).toBe(200);
    expect(timestampDate(searches[0]!.window!.start!).toISOString()).toBe("2026-03-29T08:00:00.000Z");
    expect(timestampDate(searches[0]!.window!.end!).toISOString()).toBe("2026-03-29T12:00:00.000Z");
    expect(searches[0]).toMatchObject({ pageSize: 5, pageToken: "tok", localFromDate: "" });
  });

  it("takes clinics repeated or comma-separated", async () => {
    await apiWith(healthyManager);
    await get("/v1/availability?treatment=t&from=2026-03-29&to=2026-03-29&clinic=a&clinic=b,c");
    expect(searches[0]?.clinicIds).toEqual(["a", "b", "c"]);
  });

  it.each([
    ["/v1/availability?from=2026-03-29&to=2026-03-29", "treatment"],
    ["/v1/availability?treatment=t&from=yesterday&to=2026-03-29", "from"],
    ["/v1/availability?treatment=t&from=2026-02-30&to=2026-03-01", "from"],
    ["/v1/availability?treatment=t&from=2026-03-29&to=2026-03-29T10:00:00Z", "to"],
    ["/v1/availability?treatment=t&from=2026-03-29&to=2026-03-28", "to"],
    ["/v1/availability?treatment=t&from=2026-03-01&to=2026-04-15", "to"],
    ["/v1/availability?treatment=t&from=2026-03-29T10:00:00&to=2026-03-29T12:00:00Z", "from"],
    ["/v1/availability?treatment=t&from=2026-03-29&to=2026-03-29&pageSize=0", "pageSize"],
  ])("answers %s with a 400 problem naming %s", async (url, field) => {
    await apiWith(healthyManager);
    const response = await get(url);
    expect(response.statusCode).toBe(400);
    expect(response.headers["content-type"]).toContain("application/problem+json");
    const problem = response.json();
    expect(problem).toMatchObject({
      type: "/problems/validation",
      code: "validation",
      status: 400,
      title: "Invalid request",
      instance: "/v1/availability",
    });
    expect(problem.errors.map((e: { name: string }) => e.name)).toContain(field);
    expect(searches).toHaveLength(0);
  });

  it("answers an unknown route with a 404 problem", async () => {
    await apiWith(healthyManager);
    const response = await get("/v1/nothing-here");
    expect(response.statusCode).toBe(404);
    expect(response.headers["content-type"]).toContain("application/problem+json");
    expect(response.json()).toMatchObject({ code: "not-found", status: 404, detail: "no route GET /v1/nothing-here" });
  });

  it("names the failed provider with a 503 when no provider answered", async () => {
    await apiWith({
      searchAvailability: () => {
        throw platformError(ErrorReason.NO_PROVIDER_ANSWERED, "no provider answered: kb (timeout: timed out)");
      },
    });
    const response = await get("/v1/availability?treatment=t&from=2026-03-29&to=2026-03-29");
    expect(response.statusCode).toBe(503);
    expect(response.headers["content-type"]).toContain("application/problem+json");
    expect(response.json()).toMatchObject({ code: "provider-unavailable", detail: expect.stringContaining("kb (timeout") });
  });

  it("passes 'not found' from the manager on as a 404 problem", async () => {
    await apiWith({
      searchAvailability: () => {
        throw platformError(ErrorReason.TREATMENT_NOT_FOUND, "treatment x is not in the catalog");
      },
    });
    const response = await get("/v1/availability?treatment=x&from=2026-03-29&to=2026-03-29");
    expect(response.statusCode).toBe(404);
    expect(response.json().detail).toBe("treatment x is not in the catalog");
  });

  it("hides internal failures behind a plain 500 problem", async () => {
    await apiWith({
      listTreatments: () => {
        throw new ConnectError("table booking-platform: secret internals", Code.Internal);
      },
    });
    const response = await get("/v1/treatments");
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain("secret internals");
  });

  it("refuses a reservation without an Idempotency-Key", async () => {
    await apiWith(healthyManager);
    const response = await app!.inject({
      method: "POST",
      url: "/v1/reservations",
      headers: auth,
      payload: {
        slotId: "s.t",
        treatmentId: "t",
        patient: { name: "A", dateOfBirth: "1990-01-01", phone: "0701234567", email: "a@example.se" },
      },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((e: { name: string }) => e.name)).toContain("idempotency-key");
  });

  it("asks for a credential on every /v1 route, saying how (401, WWW-Authenticate), and calls nothing below", async () => {
    await apiWith(healthyManager);
    for (const headers of [
      {},
      { authorization: "Bearer bp_test_bbbbbbbbbbbb_0123456789012345678901234567890123456789012" },
      { authorization: "Basic abc" },
    ]) {
      const response = await app!.inject({ method: "GET", url: "/v1/availability?treatment=t&from=2026-03-29&to=2026-03-29", headers });
      expect(response.statusCode).toBe(401);
      expect(response.headers["www-authenticate"]).toMatch(/^Bearer realm="booking-platform"/);
      expect(response.json()).toMatchObject({ code: "unauthenticated", type: "/problems/unauthenticated" });
    }
    expect(searches).toHaveLength(0);
  });

  it("leaves health, readiness, the reference and the problem pages open", async () => {
    await apiWith(healthyManager);
    for (const url of ["/health", "/ready", "/openapi.json", "/problems", "/problems/forbidden"]) {
      expect((await app!.inject({ method: "GET", url })).statusCode, url).toBe(200);
    }
  });

  it("is live while running, and ready only when the manager answers", async () => {
    await apiWith(healthyManager, async () => false);
    expect((await get("/health")).statusCode).toBe(200);
    const notReady = await get("/ready");
    expect(notReady.statusCode).toBe(503);
    expect(notReady.headers["content-type"]).toContain("application/problem+json");
    await app!.close();
    await apiWith(healthyManager);
    expect((await get("/ready")).statusCode).toBe(200);
  });

  it("serves its OpenAPI 3.1 document and a reference page", async () => {
    await apiWith(healthyManager);
    const document = (await get("/openapi.json")).json();
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(["/v1/treatments", "/v1/clinics", "/v1/availability", "/v1/reservations"]),
    );
    const docs = await app!.inject({ method: "GET", url: "/docs/" });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain("<html");
  });
});

describe("reservations over REST", () => {
  const creates: CreateReservationRequest[] = [];
  const reservation = (status: ReservationStatus) =>
    create(ReservationResultSchema, {
      reservation: create(ReservationSchema, {
        id: "res_1",
        status,
        slotId: "abc.def",
        treatmentId: "dental-checkup",
        clinicId: "odenplan-clinic",
        start: timestampFromDate(new Date("2026-03-29T08:00:00Z")),
        end: timestampFromDate(new Date("2026-03-29T08:30:00Z")),
        timeZone: "Europe/Stockholm",
        patientId: "pat_x",
        holdExpiresAt: status === ReservationStatus.HELD ? timestampFromDate(new Date("2026-03-20T10:10:00Z")) : undefined,
      }),
      localStart: "2026-03-29T10:00:00+02:00",
      localEnd: "2026-03-29T10:30:00+02:00",
    });
  const body = {
    slotId: "abc.def",
    treatmentId: "dental-checkup",
    patient: { name: "Anna", personalIdentityNumber: "19900101-1239", phone: "0701234567", email: "anna@example.se" },
  };
  const post = (payload: unknown, key = "key-1") =>
    app!.inject({ method: "POST", url: "/v1/reservations", headers: { ...auth, "idempotency-key": key }, payload: payload as object });

  afterEach(() => {
    creates.length = 0;
  });

  it("answers a held slot with 201, where to find it, and its local time", async () => {
    await apiWith({
      createReservation: (request) => {
        creates.push(request);
        return reservation(ReservationStatus.HELD);
      },
    });
    const response = await post(body);
    expect(response.statusCode).toBe(201);
    expect(response.headers.location).toBe("/v1/reservations/res_1");
    expect(response.json()).toMatchObject({
      id: "res_1",
      status: "held",
      localStart: "2026-03-29T10:00:00+02:00",
      holdExpiresAt: "2026-03-20T10:10:00.000Z",
    });
    expect(creates[0]).toMatchObject({ idempotencyKey: "key-1", slotId: "abc.def", patient: { personalIdentityNumber: "19900101-1239" } });
  });

  it("answers 202 while the provider's answer is still being verified", async () => {
    await apiWith({ createReservation: () => reservation(ReservationStatus.PENDING) });
    expect((await post(body)).statusCode).toBe(202);
  });

  it("marks a replayed answer", async () => {
    await apiWith({
      createReservation: () => create(ReservationResultSchema, { ...reservation(ReservationStatus.CONFIRMED), replayed: true }),
    });
    expect((await post(body)).headers["idempotent-replayed"]).toBe("true");
  });

  it("sees the same body in another key order as the same request", async () => {
    await apiWith({
      createReservation: (request) => {
        creates.push(request);
        return reservation(ReservationStatus.HELD);
      },
    });
    await post(body);
    await post({
      patient: { email: "anna@example.se", phone: "0701234567", personalIdentityNumber: "19900101-1239", name: "Anna" },
      treatmentId: "dental-checkup",
      slotId: "abc.def",
    });
    await post({ ...body, note: "different" });
    expect(creates[0]!.requestHash).toBe(creates[1]!.requestHash);
    expect(creates[2]!.requestHash).not.toBe(creates[0]!.requestHash);
  });

  it.each([
    [ErrorReason.SLOT_UNAVAILABLE, "slot-taken", 409],
    [ErrorReason.REQUEST_IN_PROGRESS, "request-in-progress", 409],
    [ErrorReason.HOLD_EXPIRED, "hold-expired", 422],
    [ErrorReason.LEAD_TIME, "lead-time", 422],
    [ErrorReason.SLOT_IN_PAST, "slot-in-past", 422],
    [ErrorReason.IDEMPOTENCY_KEY_REUSED, "idempotency-key-reused", 422],
    [ErrorReason.DEEP_LINK_ONLY, "deep-link-only", 422],
    [ErrorReason.SLOT_ID_INVALID, "slot-id-invalid", 400],
    [ErrorReason.PROVIDER_CIRCUIT_OPEN, "provider-unavailable", 503],
  ])("answers the manager's reason %s as the %s problem (%s), detail and all", async (reason, code, status) => {
    await apiWith({
      createReservation: () => {
        throw platformError(reason, "the reason, for a person");
      },
    });
    const response = await post(body);
    expect(response.statusCode).toBe(status);
    expect(response.headers["content-type"]).toContain("application/problem+json");
    expect(response.json()).toMatchObject({ type: `/problems/${code}`, code, status, detail: "the reason, for a person" });
  });

  it("answers a service that died mid-call (no reason, the stream reset) as service-unavailable", async () => {
    await apiWith({
      createReservation: () => {
        throw new ConnectError("stream reset", Code.Canceled);
      },
    });
    const response = await post(body);
    expect(response.statusCode).toBe(503);
    expect(response.json().code).toBe("service-unavailable");
  });

  it("names a malformed patient field", async () => {
    await apiWith({ createReservation: () => reservation(ReservationStatus.HELD) });
    const response = await post({ ...body, patient: { ...body.patient, email: "not-an-email" } });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((e: { name: string }) => e.name)).toContain("body.patient.email");
  });

  it("names the personal identity number when the manager refuses it, as a 400 validation problem", async () => {
    await apiWith({
      createReservation: () => {
        throw platformError(ErrorReason.INVALID_ARGUMENT, "the personal identity number has a wrong check digit", {
          field: "patient.personal_identity_number",
        });
      },
    });
    const response = await post({ ...body, patient: { ...body.patient, personalIdentityNumber: "19900101-1234" } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: "validation",
      errors: [{ name: "body.patient.personalIdentityNumber", reason: "the personal identity number has a wrong check digit" }],
    });
  });

  it("confirms, cancels, looks up and lists through the manager", async () => {
    await apiWith({
      confirmReservation: () => reservation(ReservationStatus.CONFIRMED),
      cancelReservation: () => reservation(ReservationStatus.CANCELLED),
      getReservation: () => reservation(ReservationStatus.HELD),
      listPatientReservations: () => ({ reservations: [reservation(ReservationStatus.CONFIRMED)] }),
    });
    const confirm = await app!.inject({
      method: "POST",
      url: "/v1/reservations/res_1/confirm",
      headers: { ...auth, "idempotency-key": "c1" },
    });
    expect(confirm.json().status).toBe("confirmed");
    const cancel = await app!.inject({
      method: "POST",
      url: "/v1/reservations/res_1/cancel",
      headers: { ...auth, "idempotency-key": "c2" },
    });
    expect(cancel.json().status).toBe("cancelled");
    expect((await get("/v1/reservations/res_1")).json().status).toBe("held");
    expect((await get("/v1/patients/pat_x/reservations")).json().items).toHaveLength(1);
  });
});
