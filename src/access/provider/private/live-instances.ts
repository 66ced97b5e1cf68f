import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorReason, platformError } from "../../../utilities/errors/platform-error.js";
import type { Logger } from "../../../utilities/logging/logger.js";
import type { AdapterFactory, ProviderAdapter, ProviderInstanceConfig } from "../adapter.js";
import type { InstanceStateName, InstanceStore, StoredInstance } from "../instance-store.js";
import type { CredentialResolver } from "./credentials.js";
import { createDiscovery, type Discovery } from "./discovery.js";
import { createProviderPolicy, defaultResilience, type ProviderPolicy, type ResilienceSettings } from "./resilience.js";

/** One instance as provider access uses it: its record, and the adapter, policy and discovery built for it. */
export interface LiveInstance {
  record: StoredInstance;
  state: InstanceStateName;
  config: ProviderInstanceConfig;
  adapter: ProviderAdapter;
  policy: ProviderPolicy;
  discovery: Discovery;
  /** How long one call to it may take, retries included: the reconciler waits this (plus a margin) before it trusts "nothing there". */
  deadlineMs: number;
  /** Set when the adapter could not be built (its credentials cannot be read): every call fails with it. */
  problem?: ConnectError;
}

export interface LiveInstancesOptions {
  adapters: Record<string, AdapterFactory>;
  /** Instances fixed at start (tests, the conformance kit): no table, never change. */
  fixed?: ProviderInstanceConfig[];
  /** The table's instances: reloaded whenever their version stamp moved. */
  store?: InstanceStore;
  credentials: CredentialResolver;
  /** Per-environment defaults under each instance's own overrides. */
  resilience: Partial<ResilienceSettings>;
  discoveryTtlMs: number;
  fetch?: typeof fetch;
  /** A base URL that wins over the stored one (npm start points instances at its simulators on shifted ports). */
  urlOverride?: (instanceId: string) => string | undefined;
  /** A stamp checked less than this long ago is trusted without reading it again; default 0: every use reads it. */
  checkEveryMs?: number;
  log: Pick<Logger, "warn" | "info">;
}

export interface LiveInstances {
  /** Every instance as the table has it now, retired ones included. */
  current(): Promise<Map<string, LiveInstance>>;
  /** Builds what a call needs for settings that are not stored (a dry run). */
  build(record: StoredInstance): Promise<LiveInstance>;
  /** Read the table again now (after a change this process made). */
  reload(): Promise<Map<string, LiveInstance>>;
}

/**
 * The instances provider access serves, kept current without a restart: on
 * every use it reads the version stamp (one small consistent read; concurrent
 * uses share it) and reloads every instance when the stamp moved. An
 * instance whose settings did not change keeps its adapter, circuit breaker
 * and discovery, so a change to one chain leaves the others' state alone.
 * When the table cannot be read, the last instances read stay in use (and a
 * warning says so): a database hiccup must not stop searches.
 */
export function createLiveInstances(options: LiveInstancesOptions): LiveInstances {
  const live = new Map<string, LiveInstance>();
  let loadedVersion: number | undefined;
  let checkedAt = 0;
  let checking: Promise<void> | undefined;

  const build = async (record: StoredInstance): Promise<LiveInstance> => {
    const factory = options.adapters[record.adapter];
    if (!factory)
      throw platformError(ErrorReason.ADAPTER_UNKNOWN, `provider instance ${record.id} uses unknown adapter ${record.adapter}`, {
        provider_instance_id: record.id,
        known_adapters: Object.keys(options.adapters).join(","),
      });
    let apiKey: string | undefined;
    let problem: ConnectError | undefined;
    try {
      apiKey = await options.credentials.resolve(record.id, record.credentials);
    } catch (error) {
      problem = ConnectError.from(error);
    }
    const config: ProviderInstanceConfig = {
      id: record.id,
      adapter: record.adapter,
      baseUrl: options.urlOverride?.(record.id) ?? record.baseUrl,
      apiKey,
      timeZone: record.timeZone,
      resilience: record.resilience,
      options: record.options,
    };
    const settings = { ...defaultResilience, ...options.resilience, ...record.resilience };
    const adapter = factory(config, options.fetch);
    return {
      record,
      state: record.state,
      config,
      adapter,
      policy: createProviderPolicy(record.id, settings),
      deadlineMs: settings.deadlineMs,
      discovery: createDiscovery(adapter, { ttlMs: options.discoveryTtlMs, retryAfterMs: 30_000 }),
      problem,
    };
  };

  const fixedRecord = (config: ProviderInstanceConfig): StoredInstance => ({
    id: config.id,
    adapter: config.adapter,
    baseUrl: config.baseUrl,
    credentials: {},
    timeZone: config.timeZone,
    resilience: config.resilience,
    options: config.options,
    state: "active",
    stateReason: "",
    revision: 1,
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
  });
  for (const config of options.fixed ?? []) {
    const factory = options.adapters[config.adapter];
    if (!factory) throw new Error(`provider instance ${config.id} uses unknown adapter ${config.adapter}`);
    const settings = { ...defaultResilience, ...options.resilience, ...config.resilience };
    const adapter = factory(config, options.fetch);
    live.set(config.id, {
      record: fixedRecord(config),
      state: "active",
      config,
      adapter,
      policy: createProviderPolicy(config.id, settings),
      deadlineMs: settings.deadlineMs,
      discovery: createDiscovery(adapter, { ttlMs: options.discoveryTtlMs, retryAfterMs: 30_000 }),
    });
  }

  const load = async (store: InstanceStore) => {
    const { version, instances } = await store.list();
    const seen = new Set<string>();
    for (const record of instances) {
      seen.add(record.id);
      const known = live.get(record.id);
      if (known && known.record.revision === record.revision && !known.problem) continue;
      try {
        live.set(record.id, await build(record));
      } catch (error) {
        // An adapter this build does not have (a record written by a newer version): the others still serve.
        options.log.warn({ err: error, providerInstanceId: record.id }, `cannot serve provider instance ${record.id}`);
      }
    }
    for (const id of live.keys()) if (!seen.has(id) && !(options.fixed ?? []).some((f) => f.id === id)) live.delete(id);
    loadedVersion = version;
  };

  const check = async (store: InstanceStore) => {
    try {
      const version = await store.version();
      if (version !== loadedVersion) await load(store);
      checkedAt = Date.now();
    } catch (error) {
      if (loadedVersion === undefined) {
        throw new ConnectError(`provider instances cannot be read: ${(error as Error).message}`, Code.Unavailable);
      }
      options.log.warn({ err: error }, "could not check provider instances for changes; serving the ones read last");
    }
  };

  const current = async () => {
    const store = options.store;
    if (!store) return live;
    if (checking) await checking;
    else if (loadedVersion === undefined || Date.now() - checkedAt >= (options.checkEveryMs ?? 0)) {
      checking = check(store).finally(() => {
        checking = undefined;
      });
      await checking;
    }
    return live;
  };

  return {
    current,
    build,
    async reload() {
      if (options.store) {
        await load(options.store);
        checkedAt = Date.now();
      }
      return live;
    },
  };
}
