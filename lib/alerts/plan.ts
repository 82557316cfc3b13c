/**
 * Dispatch stage 1, plan: the alert lifecycle (lifecycle.ts) for every series with a verdict
 * this run, for every stored series the query no longer returned, which counts as a normal
 * evaluation, and for the query as a whole (query-presence.ts, `notifyAbsent`). Pure: nothing
 * is stored or sent here.
 */
import type { Logger } from '../log.js';
import { seriesKey, type Labels } from '../series/index.js';
import { querySeriesKey } from '../sinks/sink.js';
import {
  evaluateAbsent,
  evaluateAlert,
  type AlertDetector,
  type AlertField,
  type LifecyclePolicy,
  type Transition,
} from './lifecycle.js';
import { evaluateQuery, isQueryState } from './query-presence.js';
import type { AlertState } from './state-store.js';

/**
 * A series with a verdict this run, as the dispatch takes it (the run's SeriesResult of a
 * scored series, lib/series-result.ts, is one). The dispatch fills in `alert` and `firing`.
 */
export interface AlertSeries {
  readonly labels: Labels;
  /** The newest point passed the contamination threshold and the minimum score. */
  readonly anomalous: boolean;
  readonly score: number;
  readonly threshold: number;
  /** Newest value of the series. */
  readonly last: number;
  /** Set by the dispatch: the `alert` field of the series' log line, what this run did for it. */
  alert?: AlertField;
  /**
   * Set by the dispatch: whether the series' alert is firing after this run's evaluation (its
   * state, not whether a notification went out): `aiops_alert_firing` in the written-back scores.
   */
  firing?: boolean;
}

/** One series' lifecycle step this run, before anything is stored or sent. */
export interface PlannedSeries {
  key: string;
  labels: Labels;
  /** The series as given to the dispatch; undefined for a stored series the query did not return. */
  series: AlertSeries | undefined;
  /** The stored state the step starts from; undefined for a series never stored. */
  previous: AlertState | undefined;
  /** What the lifecycle decided; undefined for a duplicate series, which is ignored. */
  transition: Transition | undefined;
}

export interface PlanInput {
  detector: AlertDetector;
  policy: LifecyclePolicy;
  /** One per series that has a verdict this run. */
  series: readonly AlertSeries[];
  /** The detector's stored states. */
  stored: readonly AlertState[];
  /** Evaluation time, Unix ms. */
  nowMs: number;
  /**
   * How many series the query returned this run, with a verdict or not: the query's no-data
   * alert (query-presence.ts). Absent: the query as a whole is not evaluated.
   */
  querySeries?: number;
}

/**
 * The lifecycle step of every series: first one per input series, in order, then one per stored
 * series without a verdict, then the query as a whole (series key `(query)`), when it has a step.
 */
export function planAlerts(input: PlanInput, logger: Logger): PlannedSeries[] {
  const { detector, policy, stored, nowMs } = input;
  const byKey = new Map(stored.map((s) => [s.seriesKey, s]));
  const seen = new Set<string>();
  const planned = input.series.map((series): PlannedSeries => {
    const { labels } = series;
    const key = seriesKey(labels);
    if (seen.has(key)) {
      // Prometheus never returns one label set twice; a source bug must not double-notify.
      logger.warn('duplicate series in one run ignored', { series: labels });
      return { key, labels, series, previous: undefined, transition: undefined };
    }
    seen.add(key);
    const previous = byKey.get(key);
    const { anomalous, score, threshold, last: value } = series;
    const transition = evaluateAlert(previous, { labels, anomalous, score, threshold, value }, detector, policy, nowMs);
    return { key, labels, series, previous, transition };
  });
  for (const previous of stored) {
    if (seen.has(previous.seriesKey) || isQueryState(previous)) continue;
    const transition = evaluateAbsent(previous, detector, policy, nowMs);
    planned.push({ key: previous.seriesKey, labels: previous.labels, series: undefined, previous, transition });
  }
  if (input.querySeries !== undefined) {
    const previous = stored.find(isQueryState);
    const transition = evaluateQuery(previous, input.querySeries, detector, policy, nowMs);
    if (transition) planned.push({ key: querySeriesKey, labels: {}, series: undefined, previous, transition });
  }
  return planned;
}
