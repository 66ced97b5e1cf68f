import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type ConnectError, createClient, createRouterTransport, type ServiceImpl } from "@connectrpc/connect";
import { CatalogAccessService } from "../../../access/catalog/v1/catalog_access_pb.js";
import { CapabilitiesSchema, ProbeReportSchema, ProviderAccessService } from "../../../access/provider/v1/provider_access_pb.js";
import {
  type CatalogSync,
  CatalogSyncSchema,
  type MappedProviderCatalog,
  MappedProviderCatalogSchema,
  type ProviderCatalog,
  ProviderCatalogSchema,
  SyncState,
} from "../../../contracts/v1/provider_catalog_pb.js";
import { type InstanceRecord, InstanceRecordSchema, type InstanceSpec, InstanceState } from "../../../contracts/v1/provider_instance_pb.js";
import { ErrorReason, platformError } from "../../../utilities/errors/platform-error.js";
import { createOnboardingManager } from "../onboarding-manager.js";
import type { UseCaseDeps } from "../private/dependencies.js";
import { OnboardingManagerService, type SyncProgress } from "../v1/onboarding_manager_pb.js";

/*
 * The layers below the onboarding manager, as fakes, for the use cases' unit
 * tests: provider access keeps instances in memory with the same state rules
 * as the real one (its own integration tests pin those against DynamoDB
 * Local) and answers probes and catalogs as the test scripts; catalog access
 * records syncs and mappings in memory, counting each item once per sync as
 * the real one does. Every call crosses an in-memory gRPC transport, so
 * errors and their reasons travel as between processes.
 */

export const catalogOf = (clinics: string[], treatments: string[] = ["CHK"]): ProviderCatalog =>
  create(ProviderCatalogSchema, {
    clinics: clinics.map((code) => ({ code, name: `Clinic ${code}`, timeZone: "Europe/Stockholm" })),
    treatments: treatments.map((code) => ({ code, name: `Treatment ${code}`, durationMinutes: 30, clinicCodes: clinics })),
    practitioners: [],
  });

/** Provider access in memory: instances with their states, and a provider the test scripts. */
export class FakeProviderAccess {
  instances = new Map<string, InstanceRecord>();
  calls: Array<{ verb: string; request: unknown }> = [];
  /** What trying an instance (or reading its catalog) finds; throw to fail it. */
  probe: (instanceId: string) => void = () => {};
  catalogs = new Map<string, ProviderCatalog>();

  called(verb: string) {
    return this.calls.filter((c) => c.verb === verb);
  }

  add(id: string, state = InstanceState.ACTIVE) {
    this.instances.set(
      id,
      create(InstanceRecordSchema, { spec: { id, adapter: "fhir-r4", baseUrl: "http://x", timeZone: "UTC" }, state, revision: 1 }),
    );
  }

  service(): Partial<ServiceImpl<typeof ProviderAccessService>> {
    const known = (id: string) => {
      const record = this.instances.get(id);
      if (!record) throw platformError(ErrorReason.PROVIDER_INSTANCE_NOT_FOUND, `no provider instance ${id}`);
      return record;
    };
    const move = (verb: string, id: string, to: InstanceState, from: InstanceState[]) => {
      this.calls.push({ verb, request: id });
      const record = known(id);
      if (!from.includes(record.state)) throw platformError(ErrorReason.PROVIDER_INSTANCE_STATE, `${id} is ${InstanceState[record.state]}`);
      const next = create(InstanceRecordSchema, { ...record, state: to, revision: record.revision + 1 });
      this.instances.set(id, next);
      return next;
    };
    return {
      listAdapters: () => ({ adapters: ["fhir-r4", "klinikbokning", "smart-scheduling-links"] }),
      probeInstance: (request) => {
        this.calls.push({ verb: "probe", request });
        const id = request.target.case === "spec" ? request.target.value.id : String(request.target.value);
        if (request.target.case === "instanceId") known(id);
        this.probe(id);
        return create(ProbeReportSchema, {
          capabilities: create(CapabilitiesSchema, { bookingMode: "api", catalog: true }),
          catalog: this.catalogs.get(id) ?? catalogOf(["C1"]),
          sampleClinicCode: "C1",
          sampleTreatmentCode: "CHK",
        });
      },
      registerInstance: (request) => {
        this.calls.push({ verb: "register", request });
        const spec = request.spec as InstanceSpec;
        if (this.instances.has(spec.id)) throw platformError(ErrorReason.PROVIDER_INSTANCE_EXISTS, `${spec.id} exists`);
        const record = create(InstanceRecordSchema, { spec, state: InstanceState.ACTIVE, revision: 1 });
        this.instances.set(spec.id, record);
        return record;
      },
      updateInstance: (request) => {
        this.calls.push({ verb: "update", request });
        const record = known(request.spec!.id);
        const next = create(InstanceRecordSchema, { ...record, spec: request.spec, revision: record.revision + 1 });
        this.instances.set(request.spec!.id, next);
        return next;
      },
      pauseInstance: (r) => move("pause", r.instanceId, InstanceState.PAUSED, [InstanceState.ACTIVE, InstanceState.PAUSED]),
      resumeInstance: (r) => move("resume", r.instanceId, InstanceState.ACTIVE, [InstanceState.ACTIVE, InstanceState.PAUSED]),
      retireInstance: (r) =>
        move("retire", r.instanceId, InstanceState.RETIRED, [InstanceState.ACTIVE, InstanceState.PAUSED, InstanceState.RETIRED]),
      getInstance: (r) => known(r.instanceId),
      listInstances: () => ({ instances: [...this.instances.values()] }),
      readProviderCatalog: (r) => {
        this.calls.push({ verb: "read-catalog", request: r });
        known(r.instanceId);
        this.probe(r.instanceId);
        return this.catalogs.get(r.instanceId) ?? catalogOf(["C1"]);
      },
      getInstanceHealth: (r) => ({
        instanceId: r.instanceId,
        state: known(r.instanceId).state,
        circuitState: "closed",
        windowSeconds: 900,
        calls: 10,
        failures: 2,
        p50Ms: 40,
        p90Ms: 90,
        p95Ms: 100,
        p99Ms: 120,
        errors: [{ kind: "timeout", count: 2, rate: 0.2 }],
        lastHour: [
          {
            start: timestampFromDate(new Date("2026-11-01T09:59:00Z")),
            calls: 10,
            failures: 2,
            p50Ms: 40,
            p95Ms: 100,
            errors: [{ kind: "timeout", count: 2, rate: 0.2 }],
          },
        ],
        recordingSince: timestampFromDate(new Date("2026-11-01T09:00:00Z")),
        lastError: {
          at: timestampFromDate(new Date("2026-11-01T10:00:00Z")),
          kind: "timeout",
          operation: "find-open-slots",
          message: "slow",
        },
      }),
    };
  }
}

/** Catalog access in memory: syncs under a lease, each item counted once per sync; mappings as asked. */
export class FakeCatalogAccess {
  runs = new Map<string, CatalogSync & { owner: string }>();
  /** Per instance: item key → the sync that last saw it. */
  seen = new Map<string, Map<string, string>>();
  mapped: unknown[] = [];
  withdrawn: string[] = [];
  private failures = new Map<string, ConnectError>();
  private ids = 0;

  /** The next call to `verb` fails with `error`, before changing anything. */
  failNext(verb: keyof ServiceImpl<typeof CatalogAccessService>, error: ConnectError) {
    this.failures.set(verb, error);
  }

  service(): Partial<ServiceImpl<typeof CatalogAccessService>> {
    const failIfAsked = (verb: string) => {
      const failure = this.failures.get(verb);
      this.failures.delete(verb);
      if (failure) throw failure;
    };
    const run = (syncId: string, owner?: string) => {
      const found = this.runs.get(syncId);
      if (!found) throw platformError(ErrorReason.SYNC_NOT_FOUND, `no sync ${syncId}`);
      if (owner !== undefined && (found.owner !== owner || found.state !== SyncState.RUNNING)) {
        throw platformError(ErrorReason.SYNC_LEASE_LOST, `sync ${syncId} is not yours`);
      }
      return found;
    };
    const plain = (r: CatalogSync & { owner: string }) => {
      const { owner: _owner, ...sync } = r;
      return create(CatalogSyncSchema, sync);
    };
    return {
      beginCatalogSync: (request) => {
        failIfAsked("beginCatalogSync");
        const unfinished = [...this.runs.values()].find(
          (r) => r.instanceId === request.instanceId && (r.state === SyncState.RUNNING || r.state === SyncState.INTERRUPTED),
        );
        if (unfinished?.state === SyncState.RUNNING) return { sync: plain(unfinished), busy: true };
        if (unfinished) {
          unfinished.owner = request.owner;
          unfinished.state = SyncState.RUNNING;
          unfinished.attempts += 1;
          return { sync: plain(unfinished), resumed: true };
        }
        const sync = Object.assign(
          create(CatalogSyncSchema, {
            id: `sync-${++this.ids}`,
            instanceId: request.instanceId,
            state: SyncState.RUNNING,
            trigger: request.trigger,
            attempts: 1,
            clinics: {},
            treatments: {},
            practitioners: {},
          }),
          { owner: request.owner },
        );
        this.runs.set(sync.id, sync);
        return { sync: plain(sync) };
      },
      recordSyncedItems: (request) => {
        failIfAsked("recordSyncedItems");
        const current = run(request.syncId, request.owner);
        const seen = this.seen.get(current.instanceId) ?? new Map<string, string>();
        this.seen.set(current.instanceId, seen);
        current.total = request.total;
        for (const [kind, codes] of [
          ["clinic", request.clinics.map((c) => c.code)],
          ["treatment", request.treatments.map((t) => t.code)],
          ["practitioner", request.practitioners.map((p) => p.code)],
        ] as const) {
          for (const code of codes) {
            const key = `${kind}#${code}`;
            if (seen.get(key) === current.id) continue;
            const counts = kind === "clinic" ? current.clinics! : kind === "treatment" ? current.treatments! : current.practitioners!;
            if (seen.has(key)) counts.unchanged += 1;
            else counts.new += 1;
            seen.set(key, current.id);
            current.done += 1;
          }
        }
        return plain(current);
      },
      finishCatalogSync: (request) => {
        failIfAsked("finishCatalogSync");
        const current = run(request.syncId, request.owner);
        current.state = SyncState.SUCCEEDED;
        return plain(current);
      },
      abandonCatalogSync: (request) => {
        failIfAsked("abandonCatalogSync");
        const current = run(request.syncId, request.owner);
        current.state = request.state;
        current.errors.push(request.error);
        return plain(current);
      },
      getCatalogSync: (request) => plain(run(request.syncId)),
      listCatalogSyncs: (request) => ({
        syncs: [...this.runs.values()]
          .filter((r) => r.instanceId === request.instanceId)
          .reverse()
          .map(plain),
      }),
      getProviderCatalog: (request): MappedProviderCatalog => {
        const seen = [...(this.seen.get(request.instanceId)?.keys() ?? [])];
        return create(MappedProviderCatalogSchema, {
          instanceId: request.instanceId,
          clinics: seen.filter((k) => k.startsWith("clinic#")).map((k) => ({ clinic: { code: k.slice(7) }, active: true })),
        });
      },
      mapProviderCodes: (request) => {
        failIfAsked("mapProviderCodes");
        this.mapped.push(request);
        return create(MappedProviderCatalogSchema, { instanceId: request.instanceId, activeOfferings: 1 });
      },
      withdrawInstance: (request) => {
        failIfAsked("withdrawInstance");
        this.withdrawn.push(request.instanceId);
        return { offerings: 2, clinics: 1 };
      },
    };
  }
}

export function onboardingWithFakes(options: { background?: Array<() => Promise<void>> } = {}) {
  const provider = new FakeProviderAccess();
  const catalog = new FakeCatalogAccess();
  const providerAccess = createClient(
    ProviderAccessService,
    createRouterTransport(({ service }) => service(ProviderAccessService, provider.service())),
  );
  const catalogAccess = createClient(
    CatalogAccessService,
    createRouterTransport(({ service }) => service(CatalogAccessService, catalog.service())),
  );
  let owners = 0;
  const deps: UseCaseDeps = {
    providerAccess,
    catalogAccess,
    log: { info: () => {}, warn: () => {}, error: () => {} },
    newOwner: () => `owner-${++owners}`,
    sleep: async () => {},
    background: (work) => options.background?.push(work),
  };
  const manager = createOnboardingManager(deps);
  const client = createClient(
    OnboardingManagerService,
    createRouterTransport(({ service }) => service(OnboardingManagerService, manager)),
  );
  /** Every progress message of a driven sync, until the stream ends. */
  const drive = async (request: Parameters<typeof client.runSync>[0], signal?: AbortSignal) => {
    const seen: SyncProgress[] = [];
    for await (const progress of client.runSync(request, { signal })) seen.push(progress);
    return seen;
  };
  return { provider, catalog, client, drive, deps };
}
