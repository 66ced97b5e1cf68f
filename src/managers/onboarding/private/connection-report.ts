import { create } from "@bufbuild/protobuf";
import type { ProbeReport } from "../../../access/provider/v1/provider_access_pb.js";
import { type ConnectionReport, ConnectionReportSchema } from "../v1/onboarding_manager_pb.js";

/** What trying an instance found, in the manager's own words. */
export function toConnectionReport(probe: ProbeReport): ConnectionReport {
  return create(ConnectionReportSchema, {
    supportsHold: probe.capabilities?.supportsHold ?? false,
    bookingMode: probe.capabilities?.bookingMode ?? "",
    listsCatalog: probe.capabilities?.catalog ?? false,
    catalog: probe.catalog,
    sampleClinicCode: probe.sampleClinicCode,
    sampleTreatmentCode: probe.sampleTreatmentCode,
    sampleWindow: probe.sampleWindow,
    sampleSlots: probe.sampleSlots,
    elapsedMs: probe.elapsedMs,
  });
}
