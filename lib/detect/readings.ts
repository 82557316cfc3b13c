/**
 * The readings of the newest points (step 3 of lib/detect/evaluate.ts): the smoothed reading (the
 * average forest score of the newest `smoothPoints` points), the single-point reading (the newest
 * point's own score, weighted down) and the seasonal reading (the seasonal residual, weighted
 * down), each a likelihood score against the fit segment and capped by its precedents. The
 * anomaly score is the highest of the three.
 */
import type { Matrix } from '../forest/index.js';
import type { DetectionSettings } from './detection-settings.js';
import { buildFeatureMatrix, rollingPoints, type WindowPoints } from './features.js';
import type { FittedSegment } from './fit-segment.js';
import { likelihoodScore } from './likelihood.js';
import { capByPrecedents } from './precedents.js';
import { smoothedSeasonalResiduals } from './seasonal.js';
import { slicePoints } from './window-points.js';

/**
 * A single point on its own must be rarer than an average of `smoothPoints` to score as high:
 * its likelihood score is multiplied by this. A clear spike at the newest point still reaches
 * the default `minScore`; one noisy point does not.
 */
export const singlePointWeight = 0.75;

/**
 * The seasonal reading (how far the average of the newest `smoothPoints` points lies from the same
 * time on earlier days, against the fit segment's own residuals) is multiplied by this: it
 * reaches the default `minScore` only beyond about 1 in 10^8.3 (5.7 residual root mean squares),
 * so a daily pattern that merely wobbles stays quiet while a peak that does not come at all fires
 * within half an hour. NAB (bench/nab/RESULTS.md, fourth round), mean over three seeds: weight
 * 0.7 / 0.65 / 0.6 / 0.55 give 61.32 / 61.24 / 61.84 / 61.92 (without the reading 59.67).
 */
export const seasonalWeight = 0.6;

/**
 * Isolation Forest cannot extrapolate: a point beyond every value the trees were built on scores
 * no higher than the most extreme of those, and between refits the newest points are scored out
 * of sample (a fresh spike or level shift is under-scored). So a row that lies `e` feature
 * standard deviations beyond the fit segment's range (in its most extreme feature), less
 * {@link extrapolationMargin}, has `extrapolationWeight * e` calibration standard deviations
 * added to its forest score before it is judged. A function of the row and the segment alone, so
 * run and backtest still agree. NAB (bench/nab/RESULTS.md runs 15-22): 43.77 without, 57.81 with.
 */
export const extrapolationWeight = 2;

/**
 * Feature standard deviations past the segment's range that still count as inside it: healthy
 * noise strays a little beyond its own range (without a margin the healthy-noise test alerts).
 */
export const extrapolationMargin = 0.5;

/** The newest points of a window, read against a fit segment. */
export interface NewestReadings {
  /** Raw forest scores s(x) in (0, 1] of the newest points (oldest first). */
  scores: Float64Array;
  /** The anomaly score in [0, 1] of the r-th of those points (0 is the oldest). */
  anomalyScoreAt: (r: number) => number;
}

/**
 * Reads the newest `needed` points of `window` against `fit`. Their features come from the
 * window's last points (enough to give each a full rolling look-back when the window has it).
 */
export function readNewestPoints(
  window: WindowPoints,
  needed: number,
  fit: FittedSegment,
  detector: Pick<DetectionSettings, 'features' | 'smoothPoints'>,
  spacingMs: number,
): NewestReadings {
  const n = window.values.length;
  const m = detector.smoothPoints;
  const tailStart = Math.max(0, n - needed - rollingPoints);
  const tail = buildFeatureMatrix(slicePoints(window, tailStart, n), detector.features);
  const firstNeeded = tail.rows - needed;
  const scores = forestScores(tail, firstNeeded, fit);
  const excess = extrapolationExcess(tail, firstNeeded, fit);
  const seasonalResiduals = fit.seasonal ? smoothedSeasonalResiduals(window, n - needed, n, m, spacingMs) : undefined;
  const seasonalScoreAt = (r: number): number => {
    if (!fit.seasonal || !seasonalResiduals) return 0;
    const residual = Math.abs(seasonalResiduals[r]!);
    if (Number.isNaN(residual)) return 0;
    return capByPrecedents(likelihoodScore(residual / fit.seasonal.spread), residual, fit.seasonal.precedents);
  };
  const boosted = (r: number): number => scores[r]! + extrapolationWeight * excess[r]! * fit.spread;
  const anomalyScoreAt = (r: number): number => {
    const from = Math.max(0, r - m + 1);
    let sum = 0;
    for (let q = from; q <= r; q++) sum += boosted(q);
    const average = sum / (r - from + 1);
    const single = boosted(r);
    const smoothed = capByPrecedents(likelihoodScore((average - fit.mean) / fit.spread), average, fit.precedentAverages);
    const alone = capByPrecedents(likelihoodScore((single - fit.mean) / fit.spread), single, fit.precedents);
    return Math.max(smoothed, alone * singlePointWeight, seasonalScoreAt(r) * seasonalWeight);
  };
  return { scores, anomalyScoreAt };
}

/**
 * Forest scores of the rows of `tail` from `firstNeeded` on. A row's score is a function of its
 * features, so it is cached by them in the fit segment.
 */
function forestScores(tail: Matrix, firstNeeded: number, fit: FittedSegment): Float64Array {
  const { cols } = tail;
  const needed = tail.rows - firstNeeded;
  const scores = new Float64Array(needed);
  const missing: number[] = [];
  const keys: string[] = new Array<string>(needed);
  for (let r = 0; r < needed; r++) {
    const row = tail.data.subarray((firstNeeded + r) * cols, (firstNeeded + r + 1) * cols);
    const key = row.join(',');
    keys[r] = key;
    const known = fit.rowScores.get(key);
    if (known === undefined) missing.push(r);
    else scores[r] = known;
  }
  if (missing.length > 0) {
    const data = new Float64Array(missing.length * cols);
    missing.forEach((r, i) => data.set(tail.data.subarray((firstNeeded + r) * cols, (firstNeeded + r + 1) * cols), i * cols));
    const fresh = fit.forest.score({ data, rows: missing.length, cols });
    missing.forEach((r, i) => {
      scores[r] = fresh[i]!;
      fit.rowScores.set(keys[r]!, fresh[i]!);
    });
  }
  return scores;
}

/**
 * How many feature standard deviations each row of `tail` from `firstNeeded` on lies beyond the
 * segment's range (0 inside it), in its most extreme feature: what the forest cannot see
 * ({@link extrapolationWeight}).
 */
function extrapolationExcess(tail: Matrix, firstNeeded: number, fit: FittedSegment): Float64Array {
  const { cols } = tail;
  const needed = tail.rows - firstNeeded;
  const excess = new Float64Array(needed);
  for (let r = 0; r < needed; r++) {
    let e = 0;
    for (let c = 0; c < cols; c++) {
      const v = tail.data[(firstNeeded + r) * cols + c]!;
      const over = Math.max(v - fit.colMax[c]!, fit.colMin[c]! - v, 0) / fit.colSpread[c]! - extrapolationMargin;
      if (over > e) e = over;
    }
    excess[r] = e;
  }
  return excess;
}
