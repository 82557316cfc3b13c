/**
 * The detector's own figures on Lambda: CloudWatch Embedded Metric Format lines on standard
 * output through Powertools Metrics, which CloudWatch Logs turns into metrics in the namespace
 * `aiops-detector` (no API call, no extra permission). One Metrics instance per container
 * (lib/lambda/middy-handler.ts makes it); each cycle publishes:
 *
 * - one line with the cycle's totals, dimension `service`;
 * - one line per detector, dimensions `service` + `detector`: its failures and pending
 *   notifications, what one alarms on per detector (every other per-detector figure would be
 *   one more custom metric to pay for per detector);
 * - lines of state store call durations, dimensions `service` + `operation`.
 *
 * `POWERTOOLS_METRICS_DISABLED=true` turns all of it off (serverless.yml: `metricsDisabled`).
 */
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import type { Env } from '../config/env-config.js';
import type { CycleFigures } from '../self-metrics/cycle-figures.js';
import { stateStoreOperations } from '../self-metrics/timed-state-store.js';

export const emfNamespace = 'aiops-detector';

/** The CloudWatch metric names (docs/kubernetes.md#monitoring-the-detector maps them to Prometheus'). */
export const cloudWatchMetricNames = {
  runs: 'Runs',
  runFailures: 'RunFailures',
  runDuration: 'RunDuration',
  seriesScored: 'SeriesScored',
  anomalies: 'Anomalies',
  notificationsSent: 'NotificationsSent',
  notificationsFailed: 'NotificationsFailed',
  notificationsPending: 'NotificationsPending',
  detectorFailures: 'DetectorFailures',
  stateStoreDuration: 'StateStoreDuration',
} as const;

/**
 * EMF allows 100 values per metric in one line, and Powertools flushes (dropping the line's
 * own dimensions for the rest) when a metric reaches that many: lines stay below it.
 */
const valuesPerLine = 99;

/** The container's Metrics instance; the `service` dimension is `POWERTOOLS_SERVICE_NAME` or `aiops-detector`. */
export function createEmfMetrics(env: Env): Metrics {
  const service = (env.POWERTOOLS_SERVICE_NAME ?? '').trim();
  return new Metrics({ namespace: emfNamespace, serviceName: service === '' ? 'aiops-detector' : service });
}

const sum = (values: readonly number[]): number => values.reduce((total, v) => total + v, 0);

/** Publishes one cycle's figures as EMF lines (written by Powertools to standard output). */
export function publishEmf(metrics: Metrics, figures: CycleFigures): void {
  const names = cloudWatchMetricNames;
  const { detectors } = figures;
  metrics.addMetric(names.runs, MetricUnit.Count, 1);
  metrics.addMetric(names.runFailures, MetricUnit.Count, figures.outcome === 'failure' ? 1 : 0);
  metrics.addMetric(names.runDuration, MetricUnit.Milliseconds, Math.round(figures.durationSeconds * 1000));
  metrics.addMetric(names.seriesScored, MetricUnit.Count, sum(detectors.map((d) => d.seriesScored)));
  metrics.addMetric(names.anomalies, MetricUnit.Count, sum(detectors.map((d) => d.anomalies)));
  metrics.addMetric(names.notificationsSent, MetricUnit.Count, sum(detectors.map((d) => d.notificationsSent)));
  metrics.addMetric(names.notificationsFailed, MetricUnit.Count, sum(detectors.map((d) => d.notificationsFailed)));
  metrics.addMetric(names.notificationsPending, MetricUnit.Count, sum(detectors.map((d) => d.notificationsPending ?? 0)));
  metrics.publishStoredMetrics();

  for (const d of detectors) {
    metrics.addDimension('detector', d.detector);
    metrics.addMetric(names.detectorFailures, MetricUnit.Count, d.outcome === 'failure' ? 1 : 0);
    if (d.notificationsPending !== undefined) metrics.addMetric(names.notificationsPending, MetricUnit.Count, d.notificationsPending);
    metrics.publishStoredMetrics();
  }

  for (const operation of stateStoreOperations) {
    const durations = figures.stateStore[operation];
    for (let start = 0; start < durations.length; start += valuesPerLine) {
      metrics.addDimension('operation', operation);
      for (const seconds of durations.slice(start, start + valuesPerLine)) {
        metrics.addMetric(names.stateStoreDuration, MetricUnit.Milliseconds, Math.round(seconds * 1e6) / 1000);
      }
      metrics.publishStoredMetrics();
    }
  }
}
