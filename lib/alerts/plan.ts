/**
 * Dispatch stage 1, plan: the alert lifecycle (lifecycle.ts) for every series with a verdict
 * this run, and for every stored series the query no longer returned, which counts as a normal
 * evaluation. Pure: nothing is stored or sent here.
 */
import type { Logger } from '../log.js';
import { seriesKey, type Labels } from '../series/index.js';
import {
  evaluateAbsent,
  evaluateAlert,
  type AlertDetector,
  type LifecyclePolicy,
  type Transition,
  type Verdict,
} from './lifecycle.js';
import type { AlertState } from './state-store.js';

/** One series' lifecycle step this run, before anything is stored or sent. */
export interface PlannedSeries {
  key: string;
  labels: Labels;
  /** The series' verdict this run; undefined for a stored series the query did not return. */
  verdict: Verdict | undefined;
  /** The stored state the step starts from; undefined for a series never stored. */
  previous: AlertState | undefined;
  /** What the lifecycle decided; undefined for a duplicate series, which is ignored. */
  transition: Transition | undefined;
}

export interface PlanInput {
  detector: AlertDetector;
  policy: LifecyclePolicy;
  /** One per series that has a verdict this run. */
  verdicts: readonly Verdict[];
  /** The detector's stored states. */
  stored: readonly AlertState[];
  /** Evaluation time, Unix ms. */
  nowMs: number;
}

/**
 * The lifecycle step of every series: first one per verdict, in order, then one per stored
 * series without a verdict.
 */
export function planAlerts(input: PlanInput, logger: Logger): PlannedSeries[] {
  const { detector, policy, verdicts, stored, nowMs } = input;
  const byKey = new Map(stored.map((s) => [s.seriesKey, s]));
  const seen = new Set<string>();
  const planned = verdicts.map((verdict): PlannedSeries => {
    const key = seriesKey(verdict.labels);
    if (seen.has(key)) {
      // Prometheus never returns one label set twice; a source bug must not double-notify.
      logger.warn('duplicate series in one run ignored', { series: verdict.labels });
      return { key, labels: verdict.labels, verdict, previous: undefined, transition: undefined };
    }
    seen.add(key);
    const previous = byKey.get(key);
    const transition = evaluateAlert(previous, verdict, detector, policy, nowMs);
    return { key, labels: verdict.labels, verdict, previous, transition };
  });
  for (const previous of stored) {
    if (seen.has(previous.seriesKey)) continue;
    const transition = evaluateAbsent(previous, detector, policy, nowMs);
    planned.push({ key: previous.seriesKey, labels: previous.labels, verdict: undefined, previous, transition });
  }
  return planned;
}
