/**
 * What one run found for one series, from its verdict to its log line: made once per evaluated
 * series by {@link seriesResult}, its `alert` and `firing` filled in by the alert dispatch
 * (lib/alerts/dispatch.ts), written back (lib/write-back) and logged by {@link resultLine}.
 */
import type { AlertField } from './alerts/lifecycle.js';
import type { SeriesVerdict } from './detect/evaluate.js';
import type { Labels } from './series/index.js';

/** What a run found for one series: the content of its log line. */
export interface SeriesResult {
  detector: string;
  labels: Labels;
  points: number;
  last: number | null;
  score: number | null;
  threshold: number | null;
  hasAnomaly: boolean;
  numAnomalies: number;
  anomalous: boolean;
  /** What this run did for the series' alert; `none` until the dispatch says otherwise. */
  alert: AlertField;
  /** The series' alert is firing after this run (its state, whether or not a notification went out). */
  firing: boolean;
  /** Timestamp of the evaluation (window end), Unix ms. */
  atMs: number;
  /** A stored series the query no longer returned: it gets a line only when its alert changed. */
  absent?: true;
}

/** A result with a verdict (score, threshold and newest value known): what the dispatch takes. */
export type ScoredResult = SeriesResult & { score: number; threshold: number; last: number };

/** A stored series the query did not return this run whose alert changed (the dispatch's `absent`). */
export interface AbsentSeries {
  absent: true;
  labels: Labels;
  alert: AlertField;
  /** Evaluation time (window end), Unix ms. */
  atMs: number;
}

/**
 * The result of one series of `detector` this run: from its verdict (alert `none` until the
 * dispatch fills it in), or for an absent series, no points and no numbers.
 */
export function seriesResult(detector: string, from: SeriesVerdict | AbsentSeries): SeriesResult {
  if ('absent' in from) {
    return {
      detector,
      labels: from.labels,
      points: 0,
      last: null,
      score: null,
      threshold: null,
      hasAnomaly: false,
      numAnomalies: 0,
      anomalous: false,
      alert: from.alert,
      // Absent series only get a line when they resolve.
      firing: false,
      atMs: from.atMs,
      absent: true,
    };
  }
  const scored = !from.insufficient;
  return {
    detector,
    labels: from.labels,
    points: from.points,
    last: from.last ?? null,
    score: scored ? from.score : null,
    threshold: scored ? from.threshold : null,
    hasAnomaly: scored ? from.hasAnomaly : false,
    numAnomalies: scored ? from.numAnomalies : 0,
    anomalous: scored ? from.anomalous : false,
    alert: 'none',
    firing: false,
    atMs: from.windowEndMs,
  };
}

/** True for a result with a verdict. */
export function isScored(result: SeriesResult): result is ScoredResult {
  return result.score !== null && result.threshold !== null && result.last !== null;
}

/** The seed's log line, extended (DESIGN.md "Log line"); absent series add `absent: true`. */
export function resultLine(result: SeriesResult): Record<string, unknown> {
  return {
    detector: result.detector,
    series: result.labels,
    points: result.points,
    last: result.last,
    score: result.score,
    threshold: result.threshold,
    has_anomaly: result.hasAnomaly,
    num_anomalies: result.numAnomalies,
    alert: result.alert,
    ...(result.absent ? { absent: true } : {}),
  };
}
