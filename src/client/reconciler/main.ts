/**
 * The reconciler: settles reservations left pending (a provider whose answer
 * was lost, a process that died mid-way), makes sure no provider keeps a hold
 * or booking for a released reservation, and records what clinics did to
 * bookings on their own, by having the booking manager ask the providers
 * (src/managers/booking/use-cases/reconcile.ts). It only calls the manager, so
 * it sits with the other callers in the client layer. Locally it runs on an
 * interval; in AWS an EventBridge schedule runs it with --once.
 *
 *   BP_RECONCILE_INTERVAL_MS        how often (default 30000)
 *   BP_RECONCILE_MIN_AGE_SECONDS    leave younger pending reservations alone (default 30)
 *   BP_RECONCILE_MARGIN_SECONDS     release one the provider has nothing for only once it is older
 *                                   than the provider's deadline plus this (default 120)
 *   BP_RECONCILE_RECHECK_SECONDS    verify a release at the provider this long after it, and as often
 *                                   after that, for a day (default 60, then every 600)
 *   BP_RECONCILE_DRIFT_DAYS         check confirmed bookings of this many coming days (default 7)
 *   BP_RECONCILE_CHECKS_PER_PROVIDER at most this many such checks per provider and run (default 20)
 */
import { BookingManagerService } from "../../managers/booking/v1/booking_manager_pb.js";
import { loadSecrets } from "../../utilities/config/secrets.js";
import { serviceUrl } from "../../utilities/config/service-env.js";
import { createLogger } from "../../utilities/logging/logger.js";
import { grpcClient, grpcTransport } from "../../utilities/rpc/grpc-client.js";

const logger = createLogger("reconciler");
const intervalMs = Number(process.env.BP_RECONCILE_INTERVAL_MS ?? 30_000);
const minAgeSeconds = Number(process.env.BP_RECONCILE_MIN_AGE_SECONDS ?? 30);
const settings = {
  minAgeSeconds,
  releaseMarginSeconds: Number(process.env.BP_RECONCILE_MARGIN_SECONDS ?? 0),
  releaseRecheckSeconds: Number(process.env.BP_RECONCILE_RECHECK_SECONDS ?? 0),
  driftHorizonDays: Number(process.env.BP_RECONCILE_DRIFT_DAYS ?? 0),
  checksPerProvider: Number(process.env.BP_RECONCILE_CHECKS_PER_PROVIDER ?? 0),
};
const once = process.argv.includes("--once");
await loadSecrets();
const manager = grpcClient(BookingManagerService, grpcTransport(serviceUrl("booking-manager")));

async function runOnce(): Promise<boolean> {
  try {
    const tally = await manager.reconcileReservations(settings, { timeoutMs: 60_000 });
    const { examined, confirmed, released, leftPending, expired, orphansCancelled, cancelledAtProvider, movedAtProvider } = tally;
    if (examined > 0 || expired > 0 || orphansCancelled > 0 || cancelledAtProvider > 0 || movedAtProvider > 0) {
      logger.info(
        { examined, confirmed, released, leftPending, expired, orphansCancelled, cancelledAtProvider, movedAtProvider },
        `reconciled ${examined} pending reservations, expired ${expired} lapsed holds, cancelled ${orphansCancelled} late provider bookings, recorded ${cancelledAtProvider} cancelled and ${movedAtProvider} moved at the clinic`,
      );
    }
    return true;
  } catch (error) {
    // The manager may be restarting: say so and try at the next tick.
    logger.warn({ err: error }, `reconciliation failed: ${(error as Error).message}`);
    return false;
  }
}

if (once) {
  process.exit((await runOnce()) ? 0 : 1);
} else {
  logger.info(`reconciling pending reservations every ${intervalMs} ms (older than ${minAgeSeconds} s)`);
  let timer: NodeJS.Timeout;
  const tick = async () => {
    await runOnce();
    timer = setTimeout(tick, intervalMs);
  };
  timer = setTimeout(tick, intervalMs);
  const stop = () => {
    clearTimeout(timer);
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
