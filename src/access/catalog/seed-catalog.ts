import { readFileSync } from "node:fs";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { type CatalogAccessService, RecordCatalogRequestSchema } from "./v1/catalog_access_pb.js";

/**
 * Records a catalog file (the shape of RecordCatalogRequest in JSON, e.g.
 * config/demo-catalog.json) when the catalog is still empty, so that a first
 * `npm start` has something to show and later starts leave real data alone.
 */
export async function seedCatalogIfEmpty(catalog: Client<typeof CatalogAccessService>, file: string): Promise<boolean> {
  const { treatments } = await catalog.listTreatments({});
  if (treatments.length > 0) return false;
  const request = fromJson(RecordCatalogRequestSchema, JSON.parse(readFileSync(file, "utf8")) as JsonValue, {
    ignoreUnknownFields: true,
  });
  await catalog.recordCatalog(request);
  return true;
}
