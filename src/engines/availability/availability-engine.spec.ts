import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport, type ServiceImpl } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ProviderAccessService } from "../../access/provider/v1/provider_access_pb.js";
import {
  type Offering,
  OfferingSchema,
  ProviderSlotSchema,
  ProviderStatus,
  TimeWindowSchema,
  TreatmentSchema,
} from "../../contracts/v1/booking_pb.js";
import { ErrorReason, platformError, reasonOf } from "../../utilities/errors/platform-error.js";
import { createSlotTokens } from "../../utilities/security/slot-token.js";
import { createAvailabilityEngine } from "./availability-engine.js";
import { AvailabilityEngineService, type FindAvailabilityRequest } from "./v1/availability_engine_pb.js";

const tokens = createSlotTokens("test-secret-for-slot-ids");
const now = new Date("2026-03-01T12:00:00Z");
const treatment = create(TreatmentSchema, { id: "dental-checkup", durationMinutes: 30 });

function offering(clinicId: string, providerInstanceId: string, timeZone = "Europe/Stockholm"): Offering {
  return create(OfferingSchema, {
    clinicId,
    treatmentId: "dental-checkup",
    timeZone,
    providerInstanceId,
    providerClinicCode: `${clinicId}-code`,
    providerTreatmentCode: "UND30",
  });
}

/** A provider layer that serves fixed slots per clinic code, or fails per provider instance. */
function fakeProviderAccess(
  slotsByClinicCode: Record<string, string[]>,
  failures: Record<string, ConnectError> = {},
  askedWindows: Array<{ clinicCode: string; start: Date; end: Date }> = [],
) {
  const impl: Partial<ServiceImpl<typeof ProviderAccessService>> = {
    findOpenSlots(request) {
      const failure = failures[request.providerInstanceId];
      if (failure) throw failure;
      askedWindows.push({
        clinicCode: request.providerClinicCode,
        start: timestampDate(request.window!.start!),
        end: timestampDate(request.window!.end!),
      });
      return {
        slots: (slotsByClinicCode[request.providerClinicCode] ?? []).map((start, i) =>
          create(ProviderSlotSchema, {
            providerSlotId: `${request.providerClinicCode}-${i}`,
            start: timestampFromDate(new Date(start)),
            end: timestampFromDate(new Date(Date.parse(start) + 30 * 60_000)),
            practitionerName: "Dr. Lind",
            ...(i === 0 ? { bookingPhone: "+46 8 555 000 00", remainingCapacity: 3 } : {}),
          }),
        ),
      };
    },
  };
  return createClient(
    ProviderAccessService,
    createRouterTransport(({ service }) => service(ProviderAccessService, impl)),
  );
}

function engineWith(providerAccess: ReturnType<typeof fakeProviderAccess>) {
  const engine = createAvailabilityEngine({ providerAccess, slotTokens: tokens, now: () => now });
  return createClient(
    AvailabilityEngineService,
    createRouterTransport(({ service }) => service(AvailabilityEngineService, engine)),
  );
}

const march2 = { localFromDate: "2026-03-02", localToDate: "2026-03-02" } satisfies Partial<FindAvailabilityRequest>;

describe("finding free times", () => {
  it("merges every clinic's free times into one list, earliest first", async () => {
    const engine = engineWith(
      fakeProviderAccess({
        "odenplan-code": ["2026-03-02T10:00:00Z", "2026-03-02T08:00:00Z"],
        "avenyn-code": ["2026-03-02T09:00:00Z"],
      }),
    );
    const result = await engine.findAvailability({
      treatment,
      offerings: [offering("odenplan", "kb"), offering("avenyn", "other")],
      ...march2,
    });
    expect(result.slots.map((s) => [s.clinicId, timestampDate(s.start!).toISOString()])).toEqual([
      ["odenplan", "2026-03-02T08:00:00.000Z"],
      ["avenyn", "2026-03-02T09:00:00.000Z"],
      ["odenplan", "2026-03-02T10:00:00.000Z"],
    ]);
    expect(result.providers.map((p) => [p.providerInstanceId, p.status, p.slotCount])).toEqual([
      ["kb", ProviderStatus.OK, 2],
      ["other", ProviderStatus.OK, 1],
    ]);
  });

  it("shows each time in the clinic's own time zone", async () => {
    const engine = engineWith(fakeProviderAccess({ "odenplan-code": ["2026-03-02T08:00:00Z"] }));
    const [slot] = (await engine.findAvailability({ treatment, offerings: [offering("odenplan", "kb")], ...march2 })).slots;
    expect(slot?.localStart).toBe("2026-03-02T09:00:00+01:00");
    expect(slot?.localEnd).toBe("2026-03-02T09:30:00+01:00");
    expect(slot?.timeZone).toBe("Europe/Stockholm");
  });

  it("passes a slot's booking phone and places left through as the provider said them", async () => {
    const engine = engineWith(fakeProviderAccess({ "odenplan-code": ["2026-03-02T08:00:00Z", "2026-03-02T09:00:00Z"] }));
    const slots = (await engine.findAvailability({ treatment, offerings: [offering("odenplan", "kb")], ...march2 })).slots;
    expect(slots.map((s) => [s.bookingPhone, s.remainingCapacity])).toEqual([
      ["+46 8 555 000 00", 3],
      ["", undefined],
    ]);
  });

  it("reads a date range in each clinic's own time zone", async () => {
    const asked: Array<{ clinicCode: string; start: Date; end: Date }> = [];
    const engine = engineWith(fakeProviderAccess({}, {}, asked));
    await engine.findAvailability({
      treatment,
      offerings: [offering("odenplan", "kb", "Europe/Stockholm"), offering("helsinki", "kb", "Europe/Helsinki")],
      localFromDate: "2026-03-29",
      localToDate: "2026-03-29",
    });
    const byClinic = Object.fromEntries(asked.map((w) => [w.clinicCode, [w.start.toISOString(), w.end.toISOString()]]));
    expect(byClinic["odenplan-code"]).toEqual(["2026-03-28T23:00:00.000Z", "2026-03-29T22:00:00.000Z"]);
    expect(byClinic["helsinki-code"]).toEqual(["2026-03-28T22:00:00.000Z", "2026-03-29T21:00:00.000Z"]);
  });

  it("never offers a time that has already begun or lies outside the asked window", async () => {
    const engine = engineWith(
      fakeProviderAccess({
        "odenplan-code": ["2026-03-01T11:00:00Z", "2026-03-01T13:00:00Z", "2026-03-01T14:00:00Z", "2026-03-01T15:00:00Z"],
      }),
    );
    const result = await engine.findAvailability({
      treatment,
      offerings: [offering("odenplan", "kb")],
      window: create(TimeWindowSchema, {
        start: timestampFromDate(new Date("2026-03-01T10:00:00Z")),
        end: timestampFromDate(new Date("2026-03-01T15:00:00Z")),
      }),
    });
    expect(result.slots.map((s) => timestampDate(s.start!).toISOString())).toEqual([
      "2026-03-01T13:00:00.000Z",
      "2026-03-01T14:00:00.000Z",
    ]);
  });

  it("still answers with the healthy providers' times when one provider times out, and says which one", async () => {
    const engine = engineWith(
      fakeProviderAccess(
        { "odenplan-code": ["2026-03-02T08:00:00Z"] },
        { slow: new ConnectError("provider slow timed out after 3000 ms", Code.DeadlineExceeded) },
      ),
    );
    const result = await engine.findAvailability({
      treatment,
      offerings: [offering("odenplan", "kb"), offering("kungsholmen", "slow")],
      ...march2,
    });
    expect(result.slots).toHaveLength(1);
    const slow = result.providers.find((p) => p.providerInstanceId === "slow");
    expect(slow?.status).toBe(ProviderStatus.TIMEOUT);
    expect(slow?.detail).toContain("timed out");
  });

  it("reports a provider with an open circuit and one that errors differently", async () => {
    const engine = engineWith(
      fakeProviderAccess(
        {},
        {
          tripped: platformError(ErrorReason.PROVIDER_CIRCUIT_OPEN, "circuit open"),
          busy: platformError(ErrorReason.PROVIDER_OVERLOADED, "at our limit"),
          broken: platformError(ErrorReason.PROVIDER_BAD_RESPONSE, "bad payload"),
        },
      ),
    );
    const result = await engine.findAvailability({
      treatment,
      offerings: [offering("a", "tripped"), offering("b", "broken"), offering("c", "busy")],
      ...march2,
    });
    expect(Object.fromEntries(result.providers.map((p) => [p.providerInstanceId, p.status]))).toEqual({
      tripped: ProviderStatus.CIRCUIT_OPEN,
      busy: ProviderStatus.CIRCUIT_OPEN,
      broken: ProviderStatus.ERROR,
    });
  });

  it("leaves a paused provider out of the answer altogether: no slots, and not reported as failing", async () => {
    const engine = engineWith(
      fakeProviderAccess(
        { "odenplan-code": ["2026-03-02T08:00:00Z"], "uppsala-code": ["2026-03-02T09:00:00Z"] },
        { paused: platformError(ErrorReason.PROVIDER_PAUSED, "provider paused is paused") },
      ),
    );
    const result = await engine.findAvailability({
      treatment,
      offerings: [offering("odenplan", "kb"), offering("uppsala", "paused")],
      ...march2,
    });
    expect(result.slots.map((s) => s.providerInstanceId)).toEqual(["kb"]);
    expect(result.providers.map((p) => p.providerInstanceId)).toEqual(["kb"]);
  });

  it("pages through all times without losing or repeating one", async () => {
    const times = Array.from({ length: 7 }, (_, i) => `2026-03-02T0${i + 1}:00:00Z`);
    const engine = engineWith(fakeProviderAccess({ "a-code": times, "b-code": times }));
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await engine.findAvailability({
        treatment,
        offerings: [offering("a", "kb"), offering("b", "kb")],
        ...march2,
        pageSize: 4,
        pageToken,
      });
      seen.push(...page.slots.map((s) => `${s.clinicId}@${timestampDate(s.start!).toISOString()}`));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken && pages < 10);
    expect(pages).toBe(4);
    expect(seen).toHaveLength(14);
    expect(new Set(seen).size).toBe(14);
  });

  it("refuses a slot id from a search more than a day ago, saying it expired, and one it did not sign", async () => {
    const engine = engineWith(fakeProviderAccess({ "odenplan-code": ["2026-03-02T08:00:00Z"] }));
    const [slot] = (await engine.findAvailability({ treatment, offerings: [offering("odenplan", "kb")], ...march2 })).slots;
    expect((await engine.resolveSlot({ slotId: slot!.slotId })).providerSlotId).toBe("odenplan-code-0");
    const dayLater = createAvailabilityEngine({
      providerAccess: fakeProviderAccess({}),
      slotTokens: tokens,
      now: () => new Date(now.getTime() + 25 * 3_600_000),
    });
    const later = createClient(
      AvailabilityEngineService,
      createRouterTransport(({ service }) => service(AvailabilityEngineService, dayLater)),
    );
    expect(reasonOf(await later.resolveSlot({ slotId: slot!.slotId }).catch((e: unknown) => e))).toBe(ErrorReason.SLOT_ID_EXPIRED);
    expect(reasonOf(await later.resolveSlot({ slotId: "made.up" }).catch((e: unknown) => e))).toBe(ErrorReason.SLOT_ID_INVALID);
  });

  it("hands out slot ids that lead back to the provider's own slot", async () => {
    const engine = engineWith(fakeProviderAccess({ "odenplan-code": ["2026-03-02T08:00:00Z"] }));
    const [slot] = (await engine.findAvailability({ treatment, offerings: [offering("odenplan", "kb")], ...march2 })).slots;
    expect(tokens.verify(slot!.slotId, now)).toMatchObject({
      providerInstanceId: "kb",
      providerSlotId: "odenplan-code-0",
      clinicId: "odenplan",
      treatmentId: "dental-checkup",
      start: Date.parse("2026-03-02T08:00:00Z"),
    });
  });

  it("rejects a page token it did not hand out, a reversed range and a page size over the limit", async () => {
    const engine = engineWith(fakeProviderAccess({}));
    const base = { treatment, offerings: [offering("a", "kb")] };
    await expect(engine.findAvailability({ ...base, ...march2, pageToken: "garbage" })).rejects.toMatchObject({
      code: Code.InvalidArgument,
    });
    await expect(engine.findAvailability({ ...base, localFromDate: "2026-03-05", localToDate: "2026-03-02" })).rejects.toMatchObject({
      code: Code.InvalidArgument,
    });
    await expect(engine.findAvailability({ ...base, ...march2, pageSize: 101 })).rejects.toMatchObject({
      code: Code.InvalidArgument,
    });
  });
});

describe("reading a slot id back", () => {
  it("gives the provider's slot it was made from", async () => {
    const engine = engineWith(fakeProviderAccess({ "odenplan-code": ["2026-03-02T08:00:00Z"] }));
    const [slot] = (await engine.findAvailability({ treatment, offerings: [offering("odenplan", "kb")], ...march2 })).slots;
    const resolved = await engine.resolveSlot({ slotId: slot!.slotId });
    expect(resolved).toMatchObject({
      providerInstanceId: "kb",
      providerSlotId: "odenplan-code-0",
      clinicId: "odenplan",
      treatmentId: "dental-checkup",
    });
    expect(timestampDate(resolved.start!).toISOString()).toBe("2026-03-02T08:00:00.000Z");
  });

  it("refuses an id someone altered", async () => {
    const engine = engineWith(fakeProviderAccess({}));
    await expect(engine.resolveSlot({ slotId: "eyJ4IjoxfQ.forged" })).rejects.toMatchObject({ code: Code.InvalidArgument });
  });
});
