/**
 * The composition root shared by every entry point (CLI, Lambda, Knative): turns a loaded
 * Config into the adapters runDetection() needs. Entry points override what their platform
 * provides (the Lambda hands in the webhook secret fetched by middy, a DynamoDB client).
 */
import type { Config, SecretRef, SinkConfig, StateStoreConfig } from './config/config.js';
import { errorMessage } from './errors.js';
import type { Logger } from './log.js';
import { createFileStateStore } from './alerts/file-state-store.js';
import { createMemoryStateStore } from './alerts/memory-state-store.js';
import type { StateStore } from './alerts/state-store.js';
import { createAlertmanagerSink } from './sinks/alertmanager.js';
import { createConsoleSink } from './sinks/console.js';
import type { AlertSink } from './sinks/sink.js';
import { createSlackSink } from './sinks/slack.js';
import { createTeamsSink } from './sinks/teams.js';
import { createWebhookSink } from './sinks/webhook.js';
import type { HttpSinkDeps } from './sinks/http-delivery.js';
import { resolveSecret, describeSecretRef, type ResolveSecretDeps } from './secrets/resolve-secret.js';
import { createMetricSource } from './sources/create-source.js';
import type { PrometheusSourceDeps } from './sources/prometheus/prometheus-source.js';
import type { MetricSource } from './sources/source.js';

export interface Runtime {
  source: MetricSource;
  store: StateStore;
  sinks: AlertSink[];
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
  /** Builds a store for `{ type: 'dynamodb' | 'prometheus' }` configs; those pull in extra SDKs. */
  createStore?: (config: StateStoreConfig) => Promise<StateStore>;
  /**
   * Receives every secret value resolved, so a logger built on the same array redacts them
   * from every line (createLogger({ secrets })).
   */
  secrets?: string[];
  /** Where the console sink writes (stdout by default). */
  consoleWrite?: (line: string) => void;
  source?: Partial<PrometheusSourceDeps>;
  sink?: Partial<HttpSinkDeps>;
}

/**
 * A sink whose secret could not be resolved: every delivery fails as retryable, so its
 * notifications stay pending and go out once the secret is fixed. The other sinks carry on.
 */
function unavailableSink(name: string, reason: string): AlertSink {
  return {
    name,
    send: (notifications) =>
      Promise.resolve({ delivered: [], failed: notifications.map((n) => ({ id: n.id, retryable: true, reason })) }),
  };
}

async function buildSink(config: SinkConfig, deps: RuntimeDeps, secrets: string[]): Promise<AlertSink> {
  if (config.type === 'console') return createConsoleSink({ name: config.name }, { write: deps.consoleWrite });
  const resolve = async (ref: SecretRef): Promise<string> => {
    const value = await resolveSecret(ref, { env: deps.env, readFile: deps.readFile, providers: deps.secretProviders });
    secrets.push(value);
    return value;
  };
  if (config.url === undefined) {
    return unavailableSink(config.name, `sink ${config.name} has no url`);
  }
  let url: string;
  let signingSecret: string | undefined;
  try {
    url = await resolve(config.url);
    if (config.signingSecret) signingSecret = await resolve(config.signingSecret);
  } catch (error) {
    const reason = `sink ${config.name}: ${errorMessage(error)}`;
    deps.logger.error('sink unavailable; its notifications stay pending', {
      sink: config.name,
      secret: describeSecretRef(config.url),
      error: errorMessage(error),
    });
    return unavailableSink(config.name, reason);
  }
  const options = { name: config.name, url, timeoutMs: config.timeoutMs, retries: config.retries };
  const sinkDeps: HttpSinkDeps = { logger: deps.logger, ...deps.sink };
  switch (config.type) {
    case 'slack':
      return createSlackSink(options, sinkDeps);
    case 'teams':
      return createTeamsSink(options, sinkDeps);
    case 'alertmanager':
      return createAlertmanagerSink(options, sinkDeps);
    case 'webhook':
      return createWebhookSink({ ...options, ...(signingSecret !== undefined ? { signingSecret } : {}) }, sinkDeps);
  }
}

async function buildStore(config: StateStoreConfig, deps: RuntimeDeps): Promise<StateStore> {
  switch (config.type) {
    case 'memory':
      return createMemoryStateStore();
    case 'file':
      return createFileStateStore({ path: config.path });
    case 'dynamodb':
    case 'prometheus':
      if (!deps.createStore) {
        throw new Error(`state store '${config.type}' is not available in this entry point`);
      }
      return deps.createStore(config);
  }
}

/** Builds source, store and sinks for `config`. Sinks with broken secrets are kept, failing softly. */
export async function createRuntime(config: Config, deps: RuntimeDeps): Promise<Runtime> {
  const secrets = deps.secrets ?? [];
  const store = deps.store ?? (await buildStore(config.alerts.stateStore, deps));
  const sinks = await Promise.all(config.alerts.sinks.map((sink) => buildSink(sink, deps, secrets)));
  const source = createMetricSource(config.prometheus, {
    logger: deps.logger,
    env: deps.env,
    readFile: deps.readFile,
    resolveSecret: async (ref) => {
      const value = await resolveSecret(ref, { env: deps.env, readFile: deps.readFile, providers: deps.secretProviders });
      secrets.push(value);
      return value;
    },
    ...deps.source,
  });
  return {
    source,
    store,
    sinks,
    secrets,
    close: async () => {
      if (!deps.store) await store.close?.();
    },
  };
}
