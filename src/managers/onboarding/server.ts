import { CatalogAccessService } from "../../access/catalog/v1/catalog_access_pb.js";
import { ProviderAccessService } from "../../access/provider/v1/provider_access_pb.js";
import { serviceUrl } from "../../utilities/config/service-env.js";
import { grpcClient, grpcTransport } from "../../utilities/rpc/grpc-client.js";
import { runGrpcService } from "../../utilities/rpc/run-grpc-service.js";
import { createOnboardingManager } from "./onboarding-manager.js";
import { OnboardingManagerService } from "./v1/onboarding_manager_pb.js";

await runGrpcService("onboarding-manager", (logger) => {
  const manager = createOnboardingManager({
    providerAccess: grpcClient(ProviderAccessService, grpcTransport(serviceUrl("provider-access"))),
    catalogAccess: grpcClient(CatalogAccessService, grpcTransport(serviceUrl("catalog-access"))),
    log: logger,
  });
  return (router) => router.service(OnboardingManagerService, manager);
});
