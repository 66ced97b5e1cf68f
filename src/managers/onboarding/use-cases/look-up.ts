import { create } from "@bufbuild/protobuf";
import type { CatalogSync, MappedProviderCatalog } from "../../../contracts/v1/provider_catalog_pb.js";
import type { InstanceRecord } from "../../../contracts/v1/provider_instance_pb.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import { asAdminError, required } from "../private/instance-errors.js";
import {
  type ListAdaptersResponse,
  ListAdaptersResponseSchema,
  type ListInstancesResponse,
  ListInstancesResponseSchema,
  type ListSyncsResponse,
  ListSyncsResponseSchema,
} from "../v1/onboarding_manager_pb.js";

/** What onboarding shows without changing anything: adapters, instances, a provider's catalog as synced, syncs. */
export async function listAdapters(deps: UseCaseDeps): Promise<ListAdaptersResponse> {
  return create(ListAdaptersResponseSchema, { adapters: (await deps.providerAccess.listAdapters({})).adapters });
}

export async function getInstance(deps: UseCaseDeps, instanceId: string): Promise<InstanceRecord> {
  required(instanceId, "instance_id");
  return deps.providerAccess.getInstance({ instanceId }).catch((error: unknown) => {
    throw asAdminError(error, instanceId);
  });
}

export async function listInstances(deps: UseCaseDeps): Promise<ListInstancesResponse> {
  return create(ListInstancesResponseSchema, { instances: (await deps.providerAccess.listInstances({})).instances });
}

/** The provider's catalog as last synced, each code with its mapping, and the codes nobody mapped yet. */
export async function getProviderCatalog(deps: UseCaseDeps, instanceId: string): Promise<MappedProviderCatalog> {
  await getInstance(deps, instanceId);
  return deps.catalogAccess.getProviderCatalog({ instanceId });
}

export async function getSync(deps: UseCaseDeps, syncId: string): Promise<CatalogSync> {
  return deps.catalogAccess.getCatalogSync({ syncId: required(syncId, "sync_id") });
}

export async function listSyncs(deps: UseCaseDeps, instanceId: string, limit: number): Promise<ListSyncsResponse> {
  await getInstance(deps, instanceId);
  return create(ListSyncsResponseSchema, { syncs: (await deps.catalogAccess.listCatalogSyncs({ instanceId, limit })).syncs });
}
