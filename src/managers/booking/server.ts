import { BookingAccessService } from "../../access/booking/v1/booking_access_pb.js";
import { CatalogAccessService } from "../../access/catalog/v1/catalog_access_pb.js";
import { ProviderAccessService } from "../../access/provider/v1/provider_access_pb.js";
import { AvailabilityEngineService } from "../../engines/availability/v1/availability_engine_pb.js";
import { ReservationEngineService } from "../../engines/reservation/v1/reservation_engine_pb.js";
import { requiredSecret } from "../../utilities/config/secrets.js";
import { serviceUrl } from "../../utilities/config/service-env.js";
import { grpcClient, grpcTransport } from "../../utilities/rpc/grpc-client.js";
import { runGrpcService } from "../../utilities/rpc/run-grpc-service.js";
import { createPatientIds } from "../../utilities/security/patient-id.js";
import { createBookingManager } from "./booking-manager.js";
import { BookingManagerService } from "./v1/booking_manager_pb.js";

await runGrpcService("booking-manager", (logger) => {
  const manager = createBookingManager({
    catalogAccess: grpcClient(CatalogAccessService, grpcTransport(serviceUrl("catalog-access"))),
    bookingAccess: grpcClient(BookingAccessService, grpcTransport(serviceUrl("booking-access"))),
    providerAccess: grpcClient(ProviderAccessService, grpcTransport(serviceUrl("provider-access"))),
    availabilityEngine: grpcClient(AvailabilityEngineService, grpcTransport(serviceUrl("availability-engine"))),
    reservationEngine: grpcClient(ReservationEngineService, grpcTransport(serviceUrl("reservation-engine"))),
    patientId: createPatientIds(requiredSecret("BP_PATIENT_ID_SECRET")),
    log: logger,
  });
  return (router) => router.service(BookingManagerService, manager);
});
