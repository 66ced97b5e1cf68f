import { ProviderAccessService } from "../../access/provider/v1/provider_access_pb.js";
import { rotatingSecret } from "../../utilities/config/secrets.js";
import { serviceUrl } from "../../utilities/config/service-env.js";
import { grpcClient, grpcTransport } from "../../utilities/rpc/grpc-client.js";
import { runGrpcService } from "../../utilities/rpc/run-grpc-service.js";
import { createSlotTokens } from "../../utilities/security/slot-token.js";
import { createAvailabilityEngine } from "./availability-engine.js";
import { AvailabilityEngineService } from "./v1/availability_engine_pb.js";

await runGrpcService("availability-engine", () => {
  const engine = createAvailabilityEngine({
    providerAccess: grpcClient(ProviderAccessService, grpcTransport(serviceUrl("provider-access"))),
    slotTokens: createSlotTokens({ secrets: rotatingSecret("BP_SLOT_TOKEN_SECRET") }),
    providerDeadlineMs: process.env.BP_PROVIDER_DEADLINE_MS ? Number(process.env.BP_PROVIDER_DEADLINE_MS) : undefined,
  });
  return (router) => router.service(AvailabilityEngineService, engine);
});
