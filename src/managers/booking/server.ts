import { CatalogAccessService } from "../../access/catalog/v1/catalog_access_pb.js";
import { AvailabilityEngineService } from "../../engines/availability/v1/availability_engine_pb.js";
import { serviceUrl } from "../../utilities/config/service-env.js";
import { grpcClient, grpcTransport } from "../../utilities/rpc/grpc-client.js";
import { runGrpcService } from "../../utilities/rpc/run-grpc-service.js";
import { createBookingManager } from "./booking-manager.js";
import { BookingManagerService } from "./v1/booking_manager_pb.js";

await runGrpcService("booking-manager", () => {
  const manager = createBookingManager({
    catalogAccess: grpcClient(CatalogAccessService, grpcTransport(serviceUrl("catalog-access"))),
    availabilityEngine: grpcClient(AvailabilityEngineService, grpcTransport(serviceUrl("availability-engine"))),
  });
  return (router) => router.service(BookingManagerService, manager);
});
