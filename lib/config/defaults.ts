/**
 * Complete settings from the configuration's defaults (a detector, the alert policy, the
 * Prometheus connection), for code that has no config file: the
 * backtest without `--config`, the NAB benchmark, tests. It is parsed by the same schema that
 * fills absent keys of a config file, so it can never drift from what `run` uses.
 */
import type { AlertsConfig, DetectorConfig, PrometheusConfig } from './config.js';
import { deepFreeze } from './parse-config.js';
import { alertsSchema, detectorSchema, prometheusSchema } from './schema.js';

/**
 * The name of a detector built from defaults alone, with no query to name it after (a CSV
 * backtest without a config, the NAB benchmark, tests). A Prometheus backtest without a config
 * takes the name the seed's environment variables give its query (`envDetectorName` in
 * env-config.ts), so it seeds its forests as that run does.
 */
export const defaultDetectorName = 'default';

/** The detector settings `run` gets for every key a config leaves out (name and query aside). */
const defaults: DetectorConfig = deepFreeze(detectorSchema.parse({ name: defaultDetectorName, query: 'unset' }));

/** A complete detector from the defaults, with `overrides` on top (backtests, benchmarks, tests). */
export function defaultDetector(overrides: Partial<DetectorConfig> = {}): DetectorConfig {
  return { ...defaults, query: '', ...overrides };
}

/** The alert lifecycle's settings when a config leaves `alerts` out (backtests without a config). */
export const defaultAlertPolicy: Readonly<Pick<AlertsConfig, 'repeatIntervalMinutes' | 'resolveAfter' | 'sendResolved'>> = (() => {
  const { repeatIntervalMinutes, resolveAfter, sendResolved } = alertsSchema.parse({});
  return Object.freeze({ repeatIntervalMinutes, resolveAfter, sendResolved });
})();

/** The Prometheus connection when a config leaves `prometheus` out. */
export const defaultPrometheus: PrometheusConfig = deepFreeze(prometheusSchema.parse({}));
