/**
 * What a detection run writes back to Prometheus for each series it scored, so that scores,
 * thresholds and firing alerts can be graphed (infra/grafana/dashboard.json) and alerted on
 * (infra/prometheus/aiops-detector.rules.yml) next to the metric itself.
 */
import type { RemoteWriteSample } from './write-request.js';

/** The metric names written back. Dashboards and rules use exactly these. */
export const scoreMetricNames = {
  /** Anomaly score s(x) of the newest point, in (0, 1]. */
  score: 'aiops_anomaly_score',
  /** The score above which the newest point counts as anomalous (0.5 for `contamination: auto`). */
  threshold: 'aiops_anomaly_threshold',
  /** 1 while the detector's alert for the series is firing, else 0. */
  firing: 'aiops_alert_firing',
  /** The newest value the detector saw, so a dashboard can show the query result beside its score. */
  value: 'aiops_series_value',
} as const;

/** Label that carries the scored series' own metric name (its `__name__`). */
export const seriesNameLabel = 'series_name';

export interface ScoreSampleInput {
  /** Detector name from the config; becomes the `detector` label. */
  detector: string;
  /** Labels of the scored series as the source returned them, `__name__` included if present. */
  labels: Readonly<Record<string, string>>;
  score: number;
  threshold: number;
  firing: boolean;
  /** Newest value of the series; written as `aiops_series_value` when given. */
  value?: number;
  timestampMs: number;
}

/**
 * The samples for one scored series: `aiops_anomaly_score`, `aiops_anomaly_threshold`,
 * `aiops_alert_firing` (0/1) and, when `value` is given, `aiops_series_value`, all with the
 * same labels:
 * - `detector`: the detector name;
 * - `series_name`: the series' own `__name__` (absent when the query result had none, e.g.
 *   for `rate(...)` or a recording rule's output without a name);
 * - every other label of the series unchanged. A series label that collides with `detector` or
 *   `series_name` is kept as `exported_detector` / `exported_series_name` (Prometheus' own
 *   convention for clashing labels); other labels starting with `__` are internal and dropped.
 * Identical label sets let PromQL compare score and threshold directly:
 * `aiops_anomaly_score > aiops_anomaly_threshold`.
 */
export function scoreSamples(input: ScoreSampleInput): RemoteWriteSample[] {
  const labels = scoreLabels(input.detector, input.labels);
  const sample = (name: string, value: number): RemoteWriteSample => ({
    labels: { ...labels, __name__: name },
    value,
    timestampMs: input.timestampMs,
  });
  const samples = [
    sample(scoreMetricNames.score, input.score),
    sample(scoreMetricNames.threshold, input.threshold),
    sample(scoreMetricNames.firing, input.firing ? 1 : 0),
  ];
  if (input.value !== undefined) samples.push(sample(scoreMetricNames.value, input.value));
  return samples;
}

/** The label set (without `__name__`) under which a series' scores are written. */
export function scoreLabels(detector: string, seriesLabels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(seriesLabels)) {
    if (name === '__name__') continue;
    if (name.startsWith('__')) continue;
    if (name === 'detector' || name === seriesNameLabel) out[`exported_${name}`] = value;
    else out[name] = value;
  }
  const seriesName = seriesLabels.__name__;
  if (seriesName !== undefined && seriesName !== '') out[seriesNameLabel] = seriesName;
  out.detector = detector;
  return out;
}
