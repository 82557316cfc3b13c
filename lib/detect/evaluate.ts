/**
 * One evaluation of one series: features -> forest -> scores -> the decision about the newest
 * point. Pure and deterministic (the seed comes from detector, labels and window end). The
 * scheduled run calls this once per series per run; the backtest calls it once per replayed
 * row; nothing else decides whether a point is anomalous.
 */
import type { DetectorConfig } from '../config/config.js';
import { contaminationThreshold, fitForest } from '../forest/index.js';
import { seriesKey } from '../series-key.js';
import type { Labels, Series } from '../sources/source.js';
import { buildFeatureMatrix, type WindowPoints } from './features.js';
import { detectionSeed } from './seed.js';

/** What {@link evaluateSeries} needs of a detector. */
export type DetectionSettings = Pick<
  DetectorConfig,
  'name' | 'minPoints' | 'contamination' | 'minScore' | 'features' | 'trees' | 'maxSamples'
>;

export interface EvaluateOptions {
  /** End of the window the series was read for (Unix ms): part of the seed. */
  windowEndMs: number;
}

interface VerdictBase {
  labels: Labels;
  seriesKey: string;
  windowEndMs: number;
  /** Finite points in the window (the seed's `points`). */
  points: number;
  /** Newest finite value (the seed's `last`); undefined when the window is empty. */
  last: number | undefined;
  /** Non-finite samples the source dropped plus any found here. */
  droppedNonFinite: number;
}

/** Too few points for a verdict: no score, no alert. The caller logs it. */
export interface InsufficientVerdict extends VerdictBase {
  insufficient: true;
  minPoints: number;
}

/** A scored window and the decision about its newest point. */
export interface ScoredVerdict extends VerdictBase {
  insufficient: false;
  last: number;
  /** Forest seed used (reproduce with the same detector, labels, window end). */
  seed: number;
  /** Score s(x) in (0, 1] of every point, oldest first (for charts and reports). */
  scores: Float64Array;
  /** Score of the newest point. */
  score: number;
  /** Score the window's top `contamination` fraction exceeds (0.5 for `auto`). */
  contaminationThreshold: number;
  /** The effective threshold for the newest point: max(contaminationThreshold, minScore). */
  threshold: number;
  /** The seed's meaning: how many points of the window score above the contamination threshold. */
  numAnomalies: number;
  hasAnomaly: boolean;
  /**
   * The decision: the newest point scores above the contamination threshold (strictly, as it is
   * counted in `numAnomalies`) and at least `minScore`.
   */
  anomalous: boolean;
}

export type SeriesVerdict = InsufficientVerdict | ScoredVerdict;

/** The series' finite points; the same arrays when all are finite (the usual case). */
function finitePoints(series: Series): { window: WindowPoints; dropped: number } {
  const { timestampsMs, values } = series;
  let finite = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite++;
  if (finite === values.length) return { window: { timestampsMs, values }, dropped: 0 };
  const keptTimes = new Float64Array(finite);
  const keptValues = new Float64Array(finite);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) continue;
    keptTimes[k] = timestampsMs[i]!;
    keptValues[k] = values[i]!;
    k++;
  }
  return { window: { timestampsMs: keptTimes, values: keptValues }, dropped: values.length - finite };
}

/**
 * Evaluates one series over one window. Fewer than `minPoints` finite points (or fewer than 2,
 * which no forest can be fitted on) gives an {@link InsufficientVerdict}. Otherwise the forest is
 * fitted on the window's feature matrix, every point is scored, and the newest point is judged:
 * `anomalous` when its score is above the contamination threshold and at least `minScore`.
 * A noisy but healthy series always has some points in its top `contamination` fraction
 * (`hasAnomaly`, as the seed reported), but its newest point rarely reaches `minScore`.
 */
export function evaluateSeries(series: Series, detector: DetectionSettings, options: EvaluateOptions): SeriesVerdict {
  const { window, dropped } = finitePoints(series);
  const n = window.values.length;
  const base: VerdictBase = {
    labels: series.labels,
    seriesKey: seriesKey(series.labels),
    windowEndMs: options.windowEndMs,
    points: n,
    last: n > 0 ? window.values[n - 1] : undefined,
    droppedNonFinite: series.droppedNonFinite + dropped,
  };
  if (n < Math.max(2, detector.minPoints)) {
    return { ...base, insufficient: true, minPoints: detector.minPoints };
  }

  const matrix = buildFeatureMatrix(window, detector.features);
  const seed = detectionSeed(detector.name, series.labels, options.windowEndMs);
  const forest = fitForest(matrix, { trees: detector.trees, maxSamples: detector.maxSamples, seed });
  const scores = forest.score(matrix);
  return { ...base, insufficient: false, last: window.values[n - 1]!, seed, scores, ...decide(scores, detector) };
}

/** The decision part of a verdict, from the window's scores (newest last). */
export function decide(
  scores: Float64Array,
  detector: Pick<DetectionSettings, 'contamination' | 'minScore'>,
): Pick<ScoredVerdict, 'score' | 'contaminationThreshold' | 'threshold' | 'numAnomalies' | 'hasAnomaly' | 'anomalous'> {
  const cutoff = contaminationThreshold(scores, detector.contamination);
  let numAnomalies = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > cutoff) numAnomalies++;
  const score = scores[scores.length - 1]!;
  return {
    score,
    contaminationThreshold: cutoff,
    threshold: Math.max(cutoff, detector.minScore),
    numAnomalies,
    hasAnomaly: numAnomalies > 0,
    anomalous: score > cutoff && score >= detector.minScore,
  };
}
