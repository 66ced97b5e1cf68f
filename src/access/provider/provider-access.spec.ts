import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { TimeWindowSchema } from "../../contracts/v1/booking_pb.js";
import { ErrorReason, metadataOf, reasonOf } from "../../utilities/errors/platform-error.js";
import { createLogger } from "../../utilities/logging/logger.js";
import type { AdapterFactory, ProviderAdapter } from "./adapter.js";
import { createProviderAccess } from "./provider-access.js";
import { ProviderError } from "./provider-error.js";
import { ProviderAccessService } from "./v1/provider_access_pb.js";

const window = create(TimeWindowSchema, {
  start: timestampFromDate(new Date("2026-03-02T00:00:00Z")),
  end: timestampFromDate(new Date("2026-03-03T00:00:00Z")),
});
const capabilities = { supportsHold: false, bookingMode: "api", asyncWrite: false, pushChanges: false, catalog: true } as const;

function accessWith(findOpenSlots: ProviderAdapter["findOpenSlots"], timeoutMs?: number) {
  const fake: AdapterFactory = () => ({ capabilities, findOpenSlots });
  const impl = createProviderAccess({
    instances: [{ id: "kb", adapter: "fake", baseUrl: "http://provider.test", timeZone: "Europe/Stockholm" }],
    adapters: { fake },
    timeoutMs,
  });
  return createClient(
    ProviderAccessService,
    createRouterTransport(({ service }) => service(ProviderAccessService, impl)),
  );
}

const ask = (access: ReturnType<typeof accessWith>, providerInstanceId = "kb") =>
  access.findOpenSlots({ providerInstanceId, providerClinicCode: "C1", providerTreatmentCode: "T1", window });

describe("provider access", () => {
  it("passes the provider's free slots on as instants", async () => {
    const access = accessWith(async (query) => [
      {
        providerSlotId: "s1",
        start: new Date("2026-03-02T08:00:00Z"),
        end: new Date("2026-03-02T08:30:00Z"),
        practitionerCode: "P1",
        practitionerName: `Dr ${query.clinicCode}`,
      },
    ]);
    const { slots } = await ask(access);
    expect(slots).toHaveLength(1);
    expect(timestampDate(slots[0]!.start!).toISOString()).toBe("2026-03-02T08:00:00.000Z");
    expect(slots[0]!.practitionerName).toBe("Dr C1");
  });

  it("passes on what a slot says beyond its times: deep link, booking phone, places left", async () => {
    const access = accessWith(async () => [
      {
        providerSlotId: "s1",
        start: new Date("2026-03-02T08:00:00Z"),
        end: new Date("2026-03-02T09:00:00Z"),
        practitionerCode: "",
        practitionerName: "",
        bookingLink: "https://book.example/s1",
        bookingPhone: "+46 8 555 000 00",
        remainingCapacity: 42,
      },
      {
        providerSlotId: "s2",
        start: new Date("2026-03-02T09:00:00Z"),
        end: new Date("2026-03-02T10:00:00Z"),
        practitionerCode: "",
        practitionerName: "",
      },
    ]);
    const { slots } = await ask(access);
    expect(slots[0]).toMatchObject({ bookingLink: "https://book.example/s1", bookingPhone: "+46 8 555 000 00", remainingCapacity: 42 });
    expect(slots[1]!.remainingCapacity).toBeUndefined();
  });

  it.each([
    ["timeout", ErrorReason.PROVIDER_TIMEOUT],
    ["unavailable", ErrorReason.PROVIDER_UNAVAILABLE],
    ["bad-response", ErrorReason.PROVIDER_BAD_RESPONSE],
    ["rejected", ErrorReason.PROVIDER_REJECTED],
    ["not-found", ErrorReason.PROVIDER_NOT_FOUND],
    ["slot-unavailable", ErrorReason.SLOT_UNAVAILABLE],
    ["circuit-open", ErrorReason.PROVIDER_CIRCUIT_OPEN],
    ["overloaded", ErrorReason.PROVIDER_OVERLOADED],
  ] as const)("reports a provider %s as reason %s, naming the provider", async (kind, reason) => {
    const access = accessWith(async () => {
      throw new ProviderError("kb", kind, "details");
    });
    const error = await ask(access).catch((e: unknown) => e);
    expect(reasonOf(error)).toBe(reason);
    expect(metadataOf(error)).toMatchObject({ provider_instance_id: "kb", operation: "find-open-slots" });
    expect(error).toMatchObject({ rawMessage: expect.stringContaining("provider kb") });
  });

  it("stops waiting for a provider at its deadline", async () => {
    const access = accessWith(
      (_query, signal) =>
        new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(new ProviderError("kb", "timeout", "aborted")))),
      50,
    );
    await expect(ask(access)).rejects.toMatchObject({ code: Code.DeadlineExceeded });
  });

  it("survives an adapter bug and still says whose call failed", async () => {
    const access = accessWith(async () => {
      throw new TypeError("cannot read properties of undefined");
    });
    await expect(ask(access)).rejects.toMatchObject({ code: Code.Internal, rawMessage: expect.stringContaining("provider kb") });
  });

  it("says a provider instance it does not know is not found", async () => {
    await expect(
      ask(
        accessWith(async () => []),
        "nobody",
      ),
    ).rejects.toMatchObject({ code: Code.NotFound });
  });

  it("declares each instance's capabilities", async () => {
    const { providers } = await accessWith(async () => []).describeProviders({});
    expect(providers).toEqual([
      expect.objectContaining({ id: "kb", adapter: "fake", capabilities: expect.objectContaining({ bookingMode: "api", catalog: true }) }),
    ]);
  });

  describe("with an adapter whose capabilities depend on its server", () => {
    function discovering(discover: (signal: AbortSignal) => Promise<void>) {
      const calls: string[] = [];
      let supportsHold = false;
      const fake: AdapterFactory = () => ({
        get capabilities() {
          return { ...capabilities, supportsHold };
        },
        async discover(signal) {
          calls.push("discover");
          await discover(signal);
          supportsHold = true;
        },
        async findOpenSlots() {
          calls.push("findOpenSlots");
          return [];
        },
      });
      const impl = createProviderAccess({
        instances: [{ id: "fhir", adapter: "fake", baseUrl: "http://provider.test", timeZone: "Europe/Stockholm" }],
        adapters: { fake },
        log: createLogger("test", { level: "silent" }),
      });
      const access = createClient(
        ProviderAccessService,
        createRouterTransport(({ service }) => service(ProviderAccessService, impl)),
      );
      return { access, calls };
    }

    it("discovers them before describing the instance, once while the answer is fresh", async () => {
      const { access, calls } = discovering(async () => {});
      const first = await access.describeProviders({});
      await access.describeProviders({});
      expect(first.providers[0]!.capabilities?.supportsHold).toBe(true);
      expect(calls).toEqual(["discover"]);
    });

    it("discovers them before the first verb", async () => {
      const { access, calls } = discovering(async () => {});
      await ask(access, "fhir");
      expect(calls).toEqual(["discover", "findOpenSlots"]);
    });

    it("describes the instance by what it knows when discovery fails, and the verb fails as the discovery did", async () => {
      const { access, calls } = discovering(async () => {
        throw new ProviderError("fhir", "bad-response", "not a CapabilityStatement");
      });
      const { providers } = await access.describeProviders({});
      expect(providers[0]!.capabilities?.supportsHold).toBe(false);
      expect(reasonOf(await ask(access, "fhir").catch((e: unknown) => e))).toBe(ErrorReason.PROVIDER_BAD_RESPONSE);
      expect(calls).toEqual(["discover", "discover"]);
    });
  });
});
