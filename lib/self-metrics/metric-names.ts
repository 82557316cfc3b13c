/**
 * The detector's own Prometheus metrics: names, types, labels, help and histogram buckets, and
 * {@link prometheusFigures}, which names a cycle's figures after them. `serve` exposes them on
 * GET /metrics (prom-client-registry.ts), remote write publishes the same series
 * (remote-write-samples.ts), the rules in infra/prometheus/self-monitoring.rules.yml and the
 * dashboard's health row read them. docs/kubernetes.md#monitoring-the-detector has the table.
 */
import { detectorOutcomes, runOutcomes, type CycleFigures } from './cycle-figures.js';
import { stateStoreOperations } from './timed-state-store.js';

export interface SelfMetric {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  labelNames: readonly string[];
  /** Upper bounds of a histogram's buckets, in its unit (+Inf is implied). */
  buckets?: readonly number[];
}

export const selfMetrics = {
  runs: {
    name: 'aiops_detector_runs_total',
    type: 'counter',
    help: 'Detection cycles finished, by outcome (failure: a detector, a delivery, a state write or the write-back failed, or the cycle was cut short).',
    labelNames: ['outcome'],
  },
  runDuration: {
    name: 'aiops_detector_run_duration_seconds',
    type: 'histogram',
    help: 'Duration of a detection cycle.',
    labelNames: [],
    // Cycles take from well under a second to the Knative timeout (240 s).
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120, 240],
  },
  detectorRuns: {
    name: 'aiops_detector_detector_runs_total',
    type: 'counter',
    help: 'Detectors run, by detector and outcome (failure: its query, a delivery or a state write failed; skipped: the cycle was aborted before it).',
    labelNames: ['detector', 'outcome'],
  },
  seriesScored: {
    name: 'aiops_detector_series_scored_total',
    type: 'counter',
    help: 'Series given a score (series with too few points are not counted).',
    labelNames: ['detector'],
  },
  anomalies: {
    name: 'aiops_detector_anomalies_total',
    type: 'counter',
    help: 'Series whose newest point was anomalous, once per cycle.',
    labelNames: ['detector'],
  },
  notifications: {
    name: 'aiops_detector_notifications_total',
    type: 'counter',
    help: 'Deliveries (notification x sink), by result: sent (accepted by the sink) or failed (kept pending for the next cycle).',
    labelNames: ['detector', 'result'],
  },
  notificationsPending: {
    name: 'aiops_detector_notifications_pending',
    type: 'gauge',
    help: 'Deliveries still pending after the last cycle that reached delivery.',
    labelNames: ['detector'],
  },
  stateStoreDuration: {
    name: 'aiops_detector_state_store_duration_seconds',
    type: 'histogram',
    help: 'Duration of an alert state store call, by operation.',
    labelNames: ['operation'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  },
  lastSuccess: {
    name: 'aiops_detector_last_success_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time at which the last fully successful cycle ended (0: none yet in this process).',
    labelNames: [],
  },
} as const satisfies Record<string, SelfMetric>;

export type SelfMetricId = keyof typeof selfMetrics;

/**
 * One named figure: a counter's increment, a gauge's value or one histogram observation.
 * Counters are reported with 0 for every label value that did not occur, so that each series
 * exists from the first cycle on (Prometheus' advice for labelled counters) and remote-written
 * series all share one sample pattern.
 */
export interface MetricFigure {
  metric: SelfMetricId;
  labels: Readonly<Record<string, string>>;
  value: number;
}

/** A cycle's figures as Prometheus metrics. */
export function prometheusFigures(figures: CycleFigures): MetricFigure[] {
  const out: MetricFigure[] = [];
  const add = (metric: SelfMetricId, labels: Record<string, string>, value: number): void => {
    out.push({ metric, labels, value });
  };
  for (const outcome of runOutcomes) add('runs', { outcome }, outcome === figures.outcome ? 1 : 0);
  add('runDuration', {}, figures.durationSeconds);
  for (const d of figures.detectors) {
    const detector = d.detector;
    for (const outcome of detectorOutcomes) add('detectorRuns', { detector, outcome }, outcome === d.outcome ? 1 : 0);
    add('seriesScored', { detector }, d.seriesScored);
    add('anomalies', { detector }, d.anomalies);
    add('notifications', { detector, result: 'sent' }, d.notificationsSent);
    add('notifications', { detector, result: 'failed' }, d.notificationsFailed);
    if (d.notificationsPending !== undefined) add('notificationsPending', { detector }, d.notificationsPending);
  }
  for (const operation of stateStoreOperations) {
    for (const seconds of figures.stateStore[operation]) add('stateStoreDuration', { operation }, seconds);
  }
  if (figures.outcome === 'success') add('lastSuccess', {}, figures.finishedAtMs / 1000);
  return out;
}
