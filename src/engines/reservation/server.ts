import { runGrpcService } from "../../utilities/rpc/run-grpc-service.js";
import { createReservationEngine } from "./reservation-engine.js";
import { ReservationEngineService } from "./v1/reservation_engine_pb.js";

await runGrpcService("reservation-engine", () => {
  const engine = createReservationEngine({
    holdSeconds: process.env.BP_HOLD_SECONDS ? Number(process.env.BP_HOLD_SECONDS) : undefined,
  });
  return (router) => router.service(ReservationEngineService, engine);
});
