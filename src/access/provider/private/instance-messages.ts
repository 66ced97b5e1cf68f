import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type ProviderCatalog as ProviderCatalogMessage,
  ProviderCatalogSchema,
  ProviderClinicSchema,
  ProviderPractitionerSchema,
  ProviderTreatmentSchema,
} from "../../../contracts/v1/provider_catalog_pb.js";
import {
  CredentialsRefSchema,
  type InstanceRecord,
  InstanceRecordSchema,
  type InstanceSpec,
  InstanceSpecSchema,
  InstanceState,
  ResilienceOverridesSchema,
} from "../../../contracts/v1/provider_instance_pb.js";
import { ErrorReason, platformError } from "../../../utilities/errors/platform-error.js";
import type { ProviderCatalog } from "../adapter.js";
import type { InstanceSettings, InstanceStateName, StoredInstance } from "../instance-store.js";
import type { ResilienceSettings } from "./resilience.js";

const invalid = (message: string, field: string) => platformError(ErrorReason.INVALID_ARGUMENT, message, { field });

/** The contract's resilience fields, by the name the settings use. */
const resilienceFields = {
  deadlineMs: "deadline_ms",
  readRetries: "read_retries",
  breakerThreshold: "breaker_threshold",
  halfOpenAfterMs: "half_open_after_ms",
  maxConcurrent: "max_concurrent",
  maxQueued: "max_queued",
  catalogDeadlineMs: "catalog_deadline_ms",
} as const satisfies Record<keyof ResilienceSettings, string>;

/**
 * An instance's settings as the contract gives them, checked before anything
 * is built or stored: an id that can be a key forever, an adapter this
 * provider access has (ADAPTER_UNKNOWN lists the known ones), an http(s) base
 * URL, a real time zone, a credentials reference that is a name (never a
 * secret), and whole, bounded resilience numbers.
 */
export function validateSpec(spec: InstanceSpec | undefined, knownAdapters: string[]): InstanceSettings {
  if (!spec) throw invalid("spec is required", "spec");
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(spec.id)) throw invalid("id must be lower-case letters, digits and dashes (at most 63)", "id");
  if (!knownAdapters.includes(spec.adapter)) {
    throw platformError(
      ErrorReason.ADAPTER_UNKNOWN,
      `adapter "${spec.adapter}" is not one the platform speaks; known adapters: ${knownAdapters.join(", ")}`,
      { provider_instance_id: spec.id, known_adapters: knownAdapters.join(",") },
    );
  }
  let url: URL | undefined;
  try {
    url = new URL(spec.baseUrl);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password) {
    throw invalid("base_url must be an http:// or https:// URL, without credentials in it", "base_url");
  }
  if (spec.timeZone !== "UTC" && !Intl.supportedValuesOf("timeZone").includes(spec.timeZone)) {
    throw invalid(`time_zone "${spec.timeZone}" is not an IANA time zone such as Europe/Stockholm`, "time_zone");
  }
  const credentials: InstanceSettings["credentials"] = {};
  const source = spec.credentials?.source;
  if (source?.case === "env") {
    if (!/^[A-Z_][A-Z0-9_]{0,127}$/.test(source.value))
      throw invalid("credentials.env must name an environment variable (upper-case letters, digits, _)", "credentials.env");
    credentials.env = source.value;
  } else if (source?.case === "secretId") {
    if (!/^[A-Za-z0-9/_+=.@:-]{1,2048}$/.test(source.value))
      throw invalid("credentials.secret_id must be a Secrets Manager secret's name or ARN", "credentials.secret_id");
    credentials.secretId = source.value;
  }
  const resilience: Partial<ResilienceSettings> = {};
  for (const [name, field] of Object.entries(resilienceFields) as Array<[keyof ResilienceSettings, string]>) {
    const value = spec.resilience?.[name];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 0 || value > 600_000)
      throw invalid(`resilience.${field} must be a whole number 0–600000`, `resilience.${field}`);
    resilience[name] = value;
  }
  if (spec.displayName.length > 200) throw invalid("display_name is at most 200 characters", "display_name");
  return {
    id: spec.id,
    adapter: spec.adapter,
    baseUrl: spec.baseUrl,
    credentials,
    timeZone: spec.timeZone,
    ...(Object.keys(resilience).length > 0 ? { resilience } : {}),
    ...(spec.options && Object.keys(spec.options).length > 0 ? { options: spec.options as Record<string, unknown> } : {}),
    ...(spec.displayName ? { displayName: spec.displayName } : {}),
  };
}

const states: Record<InstanceStateName, InstanceState> = {
  active: InstanceState.ACTIVE,
  paused: InstanceState.PAUSED,
  retired: InstanceState.RETIRED,
};

export const toStateMessage = (state: InstanceStateName): InstanceState => states[state];

export function toSpecMessage(settings: InstanceSettings): InstanceSpec {
  return create(InstanceSpecSchema, {
    id: settings.id,
    adapter: settings.adapter,
    baseUrl: settings.baseUrl,
    credentials: create(CredentialsRefSchema, {
      source: settings.credentials.env
        ? { case: "env", value: settings.credentials.env }
        : settings.credentials.secretId
          ? { case: "secretId", value: settings.credentials.secretId }
          : { case: undefined },
    }),
    timeZone: settings.timeZone,
    resilience: settings.resilience ? create(ResilienceOverridesSchema, settings.resilience) : undefined,
    options: settings.options as JsonObject | undefined,
    displayName: settings.displayName ?? "",
  });
}

export function toRecordMessage(record: StoredInstance): InstanceRecord {
  return create(InstanceRecordSchema, {
    spec: toSpecMessage(record),
    state: toStateMessage(record.state),
    stateReason: record.stateReason,
    revision: record.revision,
    createdAt: timestampFromDate(new Date(record.createdAt)),
    updatedAt: timestampFromDate(new Date(record.updatedAt)),
  });
}

export function toCatalogMessage(catalog: ProviderCatalog): ProviderCatalogMessage {
  return create(ProviderCatalogSchema, {
    clinics: catalog.clinics.map((c) =>
      create(ProviderClinicSchema, {
        code: c.code,
        name: c.name,
        city: c.city,
        address: c.address,
        timeZone: c.timeZone,
        phone: c.phone ?? "",
        website: c.website ?? "",
      }),
    ),
    treatments: catalog.treatments.map((t) =>
      create(ProviderTreatmentSchema, { code: t.code, name: t.name, durationMinutes: t.durationMinutes, clinicCodes: t.clinicCodes }),
    ),
    practitioners: catalog.practitioners.map((p) =>
      create(ProviderPractitionerSchema, { code: p.code, name: p.name, clinicCode: p.clinicCode, treatmentCodes: p.treatmentCodes }),
    ),
  });
}
