/* How the platform's utilities carry a deadline across gRPC hops, shown on two services (any two contracts would do; these tests live outside src/ so that a utility's tests do not import a layer). */
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ReservationEngineService } from "../../src/engines/reservation/v1/reservation_engine_pb.js";
import {
  currentDeadline,
  deadlineBound,
  deadlineServerInterceptor,
  parseTimeoutHeader,
  remainingMs,
  withDeadline,
} from "../../src/utilities/rpc/deadline.js";

/** Two hops: an outer service whose handler calls an inner one, both serving under the caller's deadline. */
function twoHops(inner: () => Promise<void> | void) {
  const seen: Array<number | undefined> = [];
  const innerTransport = createRouterTransport(
    ({ service }) =>
      service(ReservationEngineService, {
        async evaluateCancellation(_request, context) {
          seen.push(context.timeoutMs());
          await inner();
          return {};
        },
      }),
    { router: { interceptors: [deadlineServerInterceptor] } },
  );
  const innerClient = deadlineBound(createClient(ReservationEngineService, innerTransport));
  const outerTransport = createRouterTransport(
    ({ service }) =>
      service(ReservationEngineService, {
        async evaluateReservation(_request, context) {
          seen.push(context.timeoutMs());
          await innerClient.evaluateCancellation({});
          return {};
        },
      }),
    { router: { interceptors: [deadlineServerInterceptor] } },
  );
  return { outer: deadlineBound(createClient(ReservationEngineService, outerTransport)), seen };
}

describe("deadlines", () => {
  it("travel from the edge through every hop, each getting what is left", async () => {
    const { outer, seen } = twoHops(() => undefined);
    await withDeadline(2000, () => outer.evaluateReservation({}));
    const [first, second] = seen;
    expect(first).toBeGreaterThan(1500);
    expect(first).toBeLessThanOrEqual(2000);
    expect(second).toBeLessThanOrEqual(first!);
  });

  it("end a call below that outlives the caller's deadline as DeadlineExceeded, in time", async () => {
    const { outer } = twoHops(() => new Promise((resolve) => setTimeout(resolve, 5000)));
    const started = Date.now();
    const error = await withDeadline(300, () => outer.evaluateReservation({})).catch((e: unknown) => e);
    expect(ConnectError.from(error).code).toBe(Code.DeadlineExceeded);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("keep a shorter timeout a call asks for itself, and never give a longer one", async () => {
    const { outer, seen } = twoHops(() => undefined);
    await withDeadline(5000, () => outer.evaluateReservation({}, { timeoutMs: 700 }));
    expect(seen[0]).toBeLessThanOrEqual(700);
    await withDeadline(300, () => outer.evaluateReservation({}, { timeoutMs: 10_000 }));
    expect(seen[2]).toBeLessThanOrEqual(300);
  });

  it("nest: an inner deadline never outlasts the outer one", () => {
    withDeadline(1000, () => {
      withDeadline(60_000, () => {
        expect(remainingMs()).toBeLessThanOrEqual(1000);
        expect(currentDeadline()?.signal.aborted).toBe(false);
      });
    });
    expect(remainingMs()).toBeUndefined();
  });

  it("read gRPC's and Connect's timeout headers", () => {
    expect(parseTimeoutHeader(new Headers({ "grpc-timeout": "250m" }))).toBe(250);
    expect(parseTimeoutHeader(new Headers({ "grpc-timeout": "3S" }))).toBe(3000);
    expect(parseTimeoutHeader(new Headers({ "connect-timeout-ms": "1200" }))).toBe(1200);
    expect(parseTimeoutHeader(new Headers({ "grpc-timeout": "soon" }))).toBeUndefined();
  });
});
