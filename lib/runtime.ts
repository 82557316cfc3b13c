/**
 * The composition root shared by every entry point (CLI, Lambda, Knative): turns a loaded
 * Config into the adapters runDetection() needs. Entry points override what their platform
 * provides (the Lambda hands in the webhook secret fetched by middy, a DynamoDB client).
 */
import { createStateStore, type StateStoreAdapters } from './alerts/state-store-registry.js';
import { createPrometheusStateStore } from './alerts/prometheus-state-store.js';
import type { StateStore } from './alerts/state-store.js';
import type { Config, SecretRef } from './config/config.js';
import type { Logger } from './log.js';
import { createBlobStore, type BlobStoreAdapters } from './model/blob-store-registry.js';
import type { BlobStore } from './model/blob-store.js';
import type { DetectorStateOptions } from './model/detector-state.js';
import { createRemoteWriter, type RemoteWriterDeps } from './remote-write/remote-writer.js';
import { resolveSecret, type ResolveSecretDeps } from './secrets/resolve-secret.js';
import type { CycleObserver } from './self-metrics/cycle-figures.js';
import { remoteWriteSelfMetrics } from './self-metrics/remote-write-samples.js';
import { timeStateStore, type TimedStateStore } from './self-metrics/timed-state-store.js';
import { createSinks } from './sinks/create-sinks.js';
import type { HttpSinkDeps } from './sinks/http-delivery.js';
import type { AlertSink } from './sinks/sink.js';
import { createMetricSource } from './sources/create-source.js';
import { createPrometheusSource, type PrometheusSourceDeps } from './sources/prometheus/prometheus-source.js';
import type { MetricSource } from './sources/source.js';
import { remoteWriteOptionsOf } from './write-back/remote-write-options.js';
import { createScoreWriter, type ScoreWriter } from './write-back/score-writer.js';

export interface Runtime {
  source: MetricSource;
  /** The configured (or handed-in) store, every call timed for the self-metrics. */
  store: TimedStateStore;
  sinks: AlertSink[];
  /** Set unless `state.enabled` is false: where each detector's state lives between runs. */
  detectorState?: { store: BlobStore; options: DetectorStateOptions };
  /** Set when `writeBack` is enabled: scores are remote-written after each run. */
  writeBack?: ScoreWriter;
  /** Set when `selfMetrics.remoteWrite` is on: each cycle's own figures are remote-written. */
  selfMetricsWriter?: CycleObserver;
  /** Every secret value resolved, for the logger's last-line redaction. */
  secrets: string[];
  /** Releases the store's clients and timers. */
  close(): Promise<void>;
}

export interface RuntimeDeps {
  logger: Logger;
  env: Readonly<Record<string, string | undefined>>;
  readFile: (path: string) => Promise<string>;
  /** Secret adapters beyond env and file (the Lambda adds Secrets Manager). */
  secretProviders?: ResolveSecretDeps['providers'];
  /** A ready store (the Lambda's DynamoDB store, a test's memory store); else built from config. */
  store?: StateStore;
  /** Adapters for `dynamodb` and `prometheus` stores, which pull in extra SDKs (entry points wire them). */
  storeAdapters?: StateStoreAdapters;
  /**
   * Receives every secret value resolved, so a logger built on the same array redacts them
   * from every line (createLogger({ secrets })).
   */
  secrets?: string[];
  /** Builders for detector state stores used instead of a type's own (tests point s3 at s3rver). */
  blobStoreAdapters?: BlobStoreAdapters;
  /** Where the console sink writes (stdout by default). */
  consoleWrite?: (line: string) => void;
  source?: Partial<PrometheusSourceDeps>;
  sink?: Partial<HttpSinkDeps>;
  /** For the remote writes of write-back and the `prometheus` state store (tests shorten retries). */
  remoteWrite?: Partial<RemoteWriterDeps>;
}

/** Detector state calls (shard and model reads and writes) in flight at a time, per detector. */
const detectorStateConcurrency = 8;

/** Builds source, store and sinks for `config`. Sinks with broken secrets are kept, failing softly. */
export async function createRuntime(config: Config, deps: RuntimeDeps): Promise<Runtime> {
  const secrets = deps.secrets ?? [];
  const secretDeps = { env: deps.env, readFile: deps.readFile, providers: deps.secretProviders };
  const resolveAndRemember = async (ref: SecretRef, signal?: AbortSignal): Promise<string> => {
    const value = await resolveSecret(ref, { ...secretDeps, ...(signal ? { signal } : {}) });
    secrets.push(value);
    return value;
  };
  // Scores and the prometheus state store write to the same place (lib/write-back).
  const remoteWriter = () =>
    createRemoteWriter(remoteWriteOptionsOf(config.prometheus), {
      resolveSecret: (ref, { signal }) => resolveAndRemember(ref, signal),
      ...deps.remoteWrite,
    });
  const storeAdapters: StateStoreAdapters = {
    prometheus: (storeConfig) =>
      createPrometheusStateStore(
        { ...(storeConfig.lookbackMinutes !== undefined ? { lookbackMinutes: storeConfig.lookbackMinutes } : {}) },
        {
          // Always the live Prometheus, also when queries are answered from a recording.
          source: createPrometheusSource(config.prometheus, {
            logger: deps.logger,
            env: deps.env,
            readFile: deps.readFile,
            resolveSecret: (ref) => resolveAndRemember(ref),
            ...deps.source,
          }),
          writer: remoteWriter(),
        },
      ),
    ...deps.storeAdapters,
  };
  const store = timeStateStore(deps.store ?? createStateStore(config.alerts.stateStore, storeAdapters));
  const built = await createSinks(config.alerts, {
    logger: deps.logger,
    secrets: secretDeps,
    ...(deps.consoleWrite ? { consoleWrite: deps.consoleWrite } : {}),
    ...deps.sink,
  });
  secrets.push(...built.secrets);
  const source = createMetricSource(config.prometheus, {
    logger: deps.logger,
    env: deps.env,
    readFile: deps.readFile,
    resolveSecret: (ref) => resolveAndRemember(ref),
    ...deps.source,
  });
  // A rebased recording (the demo) moves its samples to every run's "now": there is no past that
  // stays put to keep, so such runs read the whole window every time.
  const keepsState = config.state.enabled && !config.prometheus.recording?.rebase;
  const blobStore = keepsState ? await createBlobStore(config.state.store, { adapters: deps.blobStoreAdapters }) : undefined;
  return {
    source,
    store,
    sinks: built.sinks,
    ...(blobStore
      ? {
          detectorState: {
            store: blobStore,
            options: { shards: config.state.shards, rereadPoints: config.state.rereadPoints, concurrency: detectorStateConcurrency },
          },
        }
      : {}),
    ...(config.writeBack?.enabled ? { writeBack: createScoreWriter({ writer: remoteWriter() }) } : {}),
    ...(config.selfMetrics.remoteWrite
      ? { selfMetricsWriter: remoteWriteSelfMetrics(remoteWriter(), { job: config.selfMetrics.job, logger: deps.logger }) }
      : {}),
    secrets,
    close: async () => {
      if (!deps.store) await store.close?.();
      await blobStore?.close?.();
    },
  };
}
