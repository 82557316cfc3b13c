/**
 * The one start-up path of every entry point (`aiops-detector run`, `serve` for Knative, the
 * Lambda handler): load the configuration, build the logger whose redaction list receives every
 * secret resolved later, build the runtime (source, store, sinks, write-back); each cycle is then
 * runDetection() over them, its figures handed to the self-metrics observers (lib/self-metrics),
 * and close() releases the runtime. Entry points differ only in where
 * the configuration comes from and what their platform hands in (the Lambda's webhook secret and
 * DynamoDB client).
 */
import type { Config } from './config/config.js';
import { describeConfig } from './config/describe-config.js';
import { createLogger, type Logger } from './log.js';
import { runDetection, type RunOptions, type RunSummary } from './run.js';
import { createRuntime, type Runtime, type RuntimeDeps } from './runtime.js';
import { reportCycle, type CycleObserver } from './self-metrics/cycle-figures.js';

type Warn = (message: string, fields?: Record<string, unknown>) => void;

export interface StartOptions {
  /** Loads and checks the configuration; `warn` reports settings it ignores. */
  loadConfig: (warn: Warn) => Promise<Config>;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Fields every diagnostic line carries (the Lambda's request id). */
  logFields?: Record<string, unknown>;
  /** The level of the secret-free configuration line (default debug). */
  logConfigurationAt?: 'debug' | 'info';
  /** Redacted from every line; secrets resolved while starting are added to it. */
  secrets?: string[];
  /** What the platform provides beyond the configuration (secret providers, store adapters, ...). */
  runtime: Omit<RuntimeDeps, 'logger' | 'secrets'>;
  /**
   * Receives the figures of every finished cycle except dry runs, after the runtime's own
   * observer (remote write, with `selfMetrics.remoteWrite`): `serve`'s registry, the Lambda's EMF.
   */
  onCycle?: CycleObserver;
}

export interface Started {
  config: Config;
  logger: Logger;
  runtime: Runtime;
  /** One detection cycle over the started runtime. */
  runCycle(options: RunOptions): Promise<RunSummary>;
  /** Releases the store's clients and timers. */
  close(): Promise<void>;
}

/**
 * Starts the detector. Throws what the configuration loader throws (ConfigError for an invalid
 * configuration), after logging nothing: the caller reports it the way its platform expects.
 */
export async function start(options: StartOptions): Promise<Started> {
  const secrets = options.secrets ?? [];
  const { out, err } = options;
  const fields = options.logFields ?? {};
  const bootLogger = createLogger({ out, err, secrets }).child(fields);
  const config = await options.loadConfig((message, extra) => bootLogger.warn(message, extra));
  const logger = createLogger({ out, err, secrets, level: config.logLevel }).child(fields);
  logger[options.logConfigurationAt ?? 'debug']('configuration', describeConfig(config));
  const runtime = await createRuntime(config, { ...options.runtime, logger, secrets });
  const observers = [runtime.selfMetricsWriter, options.onCycle].filter((o): o is CycleObserver => o !== undefined);
  return {
    config,
    logger,
    runtime,
    runCycle: async (runOptions) => {
      const startedAtMs = Date.now();
      runtime.store.takeTimings(); // this cycle's calls only
      const summary = await runDetection({ ...runtime, config, logger }, runOptions);
      const stateStore = runtime.store.takeTimings();
      if (!summary.dryRun) await reportCycle({ summary, stateStore, startedAtMs, finishedAtMs: Date.now() }, observers, logger);
      return summary;
    },
    close: () => runtime.close(),
  };
}
