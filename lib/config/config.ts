/**
 * The shape of a loaded configuration: what every other module consumes. The zod schema in
 * lib/config/schema.ts produces exactly this (frozen) from a YAML file and/or the seed's
 * environment variables. Durations carry their unit in the name.
 */
import type { FeatureName } from '../detect/features.js';
import type { LogLevel } from '../log.js';
import type { Severity } from '../sinks/sink.js';

/** Where a secret value (webhook URL, token, password) comes from. Never logged. */
export type SecretRef =
  | { env: string }
  | { file: string }
  | { secretsManager: string }
  /** Inline value: allowed, but README recommends env/file; it is redacted like the others. */
  | { value: string };

export type PrometheusAuth =
  | { type: 'none' }
  | { type: 'bearer'; token: SecretRef }
  | { type: 'basic'; username: string; password: SecretRef }
  /** Amazon Managed Service for Prometheus; on automatically for an `aps-workspaces` URL. */
  | { type: 'sigv4'; region: string; service: string };

/**
 * Recorded `query_range` responses served instead of a live Prometheus (lib/sources/file): the
 * embedded demo and offline replays. `path` is absolute once loaded.
 */
export interface RecordingConfig {
  path: string;
  /** Shift the recording so its newest sample lands on the requested window's end. */
  rebase: boolean;
}

export interface PrometheusConfig {
  /** Base URL (path prefix included). With `recording`, only used for graph links. */
  url: string;
  auth: PrometheusAuth;
  headers: Readonly<Record<string, string>>;
  /** PEM bundle to trust in addition to the system CAs. */
  caFile?: string;
  timeoutMs: number;
  retries: number;
  /**
   * Remote write endpoint for written-back scores and the `prometheus` state store. Absent:
   * derived from `url` (`/api/v1/write`, or `/api/v1/remote_write` for Amazon Managed
   * Prometheus). Auth, headers, timeout and retries are the ones above.
   */
  remoteWriteUrl?: string;
  /** When set, queries are answered from this recording and `url` is never contacted. */
  recording?: RecordingConfig;
}

/** Detect owns the feature names (one per entry in its `featureDefinitions`). */
export type { FeatureName };

export interface DetectorConfig {
  name: string;
  query: string;
  windowMinutes: number;
  stepSeconds: number;
  minPoints: number;
  /** `auto` (score > 0.5) or the fraction of a window treated as anomalous, in (0, 0.5]. */
  contamination: 'auto' | number;
  /**
   * The anomaly score (a likelihood on a log scale, see lib/detect/likelihood.ts) at which the
   * newest point counts as anomalous now; also the score after which `suppressPoints` follow.
   */
  minScore: number;
  /** Consecutive anomalous evaluations before an alert fires. */
  forEvaluations: number;
  features: readonly FeatureName[];
  trees: number;
  maxSamples: number;
  /** The forest is refitted when the window end crosses a multiple of this many steps. */
  refitEveryPoints: number;
  /** The anomaly score judges the average forest score of this many newest points. */
  smoothPoints: number;
  /** After a point reaches `minScore`, this many following points score 0 (one report per onset). */
  suppressPoints: number;
  severity: Severity;
  labels: Readonly<Record<string, string>>;
}

export type StateStoreConfig =
  | { type: 'memory' }
  | { type: 'file'; path: string }
  | { type: 'dynamodb'; table: string; region?: string; ttlDays: number }
  /**
   * Alert state kept as remote-written samples in Prometheus (lib/alerts/prometheus-state-store.ts).
   * `lookbackMinutes`: how far back a state is still found (default 1440).
   */
  | { type: 'prometheus'; lookbackMinutes?: number };

export type SinkFormat = 'slack' | 'teams' | 'alertmanager' | 'webhook' | 'console';

export interface SinkConfig {
  /** Unique name, used in logs and as the key of pending deliveries. */
  name: string;
  type: SinkFormat;
  /** Absent only for `console`. */
  url?: SecretRef;
  /** Generic webhook only: HMAC-SHA256 key for the `X-Signature-256` header. */
  signingSecret?: SecretRef;
  timeoutMs: number;
  retries: number;
}

export interface AlertsConfig {
  repeatIntervalMinutes: number;
  resolveAfter: number;
  sendResolved: boolean;
  stateStore: StateStoreConfig;
  sinks: readonly SinkConfig[];
}

/** Scores written back to Prometheus after each run (lib/write-back). */
export interface WriteBackConfig {
  enabled: boolean;
}

export interface Config {
  prometheus: PrometheusConfig;
  detectors: readonly DetectorConfig[];
  alerts: AlertsConfig;
  /** Detectors evaluated at the same time. */
  concurrency: number;
  /** Absent or disabled: nothing is written back. Optional so hand-built configs stay valid. */
  writeBack?: WriteBackConfig;
  /** Diagnostic log level (`LOG_LEVEL` overrides it). Optional so hand-built configs stay valid. */
  logLevel?: LogLevel;
}
