/**
 * The fit segment of a window and what is fitted on it (steps 1 and 2 of lib/detect/evaluate.ts):
 * where the segment lies, the forest, the calibration of its scores, the precedents, each
 * feature's range, and the seasonal residuals' calibration. All of it is a function of the segment
 * alone, so it is cached by the segment and a cached evaluation equals an uncached one.
 */
import { fitForest, type IsolationForest, type Matrix } from '../forest/index.js';
import { float64Digest, fnv1a32 } from '../series/index.js';
import { movingAverages } from './arrays.js';
import type { DetectionSettings } from './detection-settings.js';
import { buildFeatureMatrix, type WindowPoints } from './features.js';
import { precedentRows } from './precedents.js';
import { seasonalMinCalibrationPoints, smoothedSeasonalResiduals } from './seasonal.js';
import { windowPoints } from './window.js';
import { slicePoints } from './window-points.js';

/** Most points of the fit segment that are scored to calibrate (a bounded cost per fit). */
export const calibrationPoints = 256;

/** Smallest standard deviation of calibration scores (a perfectly regular series has ~0). */
const minScoreSpread = 1e-6;

/** Smallest spread of seasonal residuals (a perfectly repeating day has 0). */
const minResidualSpread = 1e-9;

/**
 * Work an evaluation can reuse from the previous one of the same series (the backtest keeps one
 * per series). Only pure results are kept: the forest and calibration of a fit segment (keyed by
 * the segment) and forest scores of feature rows (keyed by the row's features), so a cached
 * evaluation is identical to an uncached one.
 */
export interface EvaluationCache {
  fit?: FittedSegment;
}

/** The forest fitted on a segment and everything the readings judge against. */
export interface FittedSegment {
  key: string;
  forest: IsolationForest;
  mean: number;
  spread: number;
  calibration: Float64Array;
  /** Forest scores of the precedent points, ascending (single-point readings are judged against these). */
  precedents: Float64Array;
  /** `smoothPoints`-averages of consecutive precedent points, ascending (for the smoothed reading). */
  precedentAverages: Float64Array;
  rowScores: Map<string, number>;
  /** Per feature column: smallest and largest value in the segment, and their standard deviation. */
  colMin: Float64Array;
  colMax: Float64Array;
  colSpread: Float64Array;
  /**
   * The segment's smoothed seasonal residuals (lib/detect/seasonal.ts): their root mean square and,
   * ascending, the absolute residuals of the precedent points. Undefined when the segment does not
   * reach back far enough for {@link seasonalMinCalibrationPoints} residuals (two days and more).
   */
  seasonal: { spread: number; precedents: Float64Array } | undefined;
}

/** Where a window's fit segment [start, end) lies, and the fit end that keys it and seeds its forest. */
export interface SegmentBounds {
  start: number;
  end: number;
  fitEndMs: number;
}

/**
 * Where a series' fit ends fall in the refit cycle: (FNV-1a of its series key) mod
 * `refitEveryPoints`, in steps. Each series refits every `refitEveryPoints` steps at its own
 * phase, so a run refits about 1 in `refitEveryPoints` of its series instead of all of them at
 * once (with per-series state, issue 13, a refit is the expensive part of a run). A function of
 * the labels alone, so the scheduled run and the backtest agree.
 */
export function refitPhasePoints(seriesKey: string, refitEveryPoints: number): number {
  return fnv1a32(seriesKey) % refitEveryPoints;
}

/**
 * The fit segment of the window ending at `windowEndMs` (step 1 of lib/detect/evaluate.ts):
 * [fitEnd - (windowPoints - 1 - k) spacings, fitEnd], where the fit end is the latest
 * `phase + m * k` spacings at or before the window end (phase: {@link refitPhasePoints} of
 * `seriesKey`), so it lies inside any window that ends before the series' next refit; the whole
 * window when one subsample covers it or too little history precedes the fit end. `minPoints`
 * is the fewest points a segment may have.
 */
export function fitSegmentBounds(
  window: WindowPoints,
  windowEndMs: number,
  spacingMs: number,
  minPoints: number,
  detector: Pick<DetectionSettings, 'windowMinutes' | 'stepSeconds' | 'refitEveryPoints' | 'maxSamples'>,
  seriesKey: string,
): SegmentBounds {
  const n = window.values.length;
  const k = detector.refitEveryPoints;
  const periodMs = k * spacingMs;
  const phaseMs = refitPhasePoints(seriesKey, k) * spacingMs;
  let fitEndMs = Math.floor((windowEndMs - phaseMs) / periodMs) * periodMs + phaseMs;
  const segmentSpanMs = (windowPoints(detector) - 1 - k) * spacingMs;
  const { timestampsMs } = window;
  // Half a spacing of slack for jittered timestamps.
  let end = n;
  while (end > 0 && timestampsMs[end - 1]! > fitEndMs + spacingMs / 2) end--;
  let start = 0;
  while (start < end && timestampsMs[start]! < fitEndMs - segmentSpanMs - spacingMs / 2) start++;
  if (n <= detector.maxSamples || end - start < minPoints) {
    // A window one subsample covers costs no more to refit every evaluation, and then the newest
    // point is part of the fit: a point beyond every value the trees were built on scores only
    // as high as the most extreme one they saw (Isolation Forest cannot extrapolate), so a short
    // window would under-score a spike at its newest point. Too little history before the fit
    // end (a young series) also fits the whole window, keyed by its own end.
    start = 0;
    end = n;
    fitEndMs = windowEndMs;
  }
  return { start, end, fitEndMs };
}

/** Fits (or takes from the cache) the forest and calibration of the segment [start, end). */
export function fitSegment(
  window: WindowPoints,
  start: number,
  end: number,
  fitEndMs: number,
  seed: number,
  detector: Pick<DetectionSettings, 'features' | 'trees' | 'maxSamples' | 'smoothPoints'>,
  spacingMs: number,
  cache: EvaluationCache | undefined,
): FittedSegment {
  const n = end - start;
  const segment = slicePoints(window, start, end);
  // The points themselves are part of the key: a model kept across runs (lib/model) is used only
  // for the very points it was fitted on.
  const key = `${seed}:${fitEndMs}:${n}:${float64Digest([segment.timestampsMs, segment.values])}`;
  if (cache?.fit?.key === key) return cache.fit;
  const matrix = buildFeatureMatrix(segment, detector.features);
  const forest = fitForest(matrix, { trees: detector.trees, maxSamples: detector.maxSamples, seed });
  // Calibration points: every stride-th point counted back from the fit end. Precedents: see
  // precedentRows. The two overlap; each row is scored once.
  const stride = Math.ceil(n / calibrationPoints);
  const count = Math.ceil(n / stride);
  const calibrationRows = Int32Array.from({ length: count }, (_, r) => n - 1 - r * stride);
  const precedentList = precedentRows(n);
  const [calibration, precedentScores] = scoreRows(forest, matrix, [calibrationRows, precedentList]) as [Float64Array, Float64Array];
  const cols = matrix.cols;
  let sum = 0;
  let sumSquares = 0;
  for (const s of calibration) {
    sum += s;
    sumSquares += s * s;
  }
  const mean = sum / count;
  const spread = Math.max(minScoreSpread, Math.sqrt(Math.max(0, sumSquares / count - mean * mean)));
  // Each feature's range and spread over the segment: how far a scored row lies beyond what the
  // trees were built on (see extrapolationWeight in lib/detect/readings.ts).
  const colMin = new Float64Array(cols).fill(Infinity);
  const colMax = new Float64Array(cols).fill(-Infinity);
  const colSum = new Float64Array(cols);
  const colSq = new Float64Array(cols);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < cols; c++) {
      const v = matrix.data[r * cols + c]!;
      if (v < colMin[c]!) colMin[c] = v;
      if (v > colMax[c]!) colMax[c] = v;
      colSum[c] = colSum[c]! + v;
      colSq[c] = colSq[c]! + v * v;
    }
  }
  const colSpread = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    const mu = colSum[c]! / n;
    colSpread[c] = Math.max(1e-9, Math.sqrt(Math.max(0, colSq[c]! / n - mu * mu)));
  }
  const m = detector.smoothPoints;
  const precedentAverages = movingAverages(precedentScores, m);
  const fit: FittedSegment = {
    // From the segment alone (not the window's older points): a function of the cache key.
    seasonal: seasonalCalibration(segment, m, spacingMs, precedentList),
    key,
    forest,
    mean,
    spread,
    calibration,
    precedents: precedentScores.sort(),
    precedentAverages: precedentAverages.sort(),
    rowScores: new Map(),
    colMin,
    colMax,
    colSpread,
  };
  if (cache) cache.fit = fit;
  return fit;
}

/**
 * The seasonal reading's calibration over a fit segment: the root mean square of its smoothed
 * seasonal residuals (the residual of a daily pattern is centred on 0) and the sorted absolute
 * residuals of the precedent rows.
 */
function seasonalCalibration(
  segment: WindowPoints,
  m: number,
  spacingMs: number,
  precedentList: Int32Array,
): FittedSegment['seasonal'] {
  const residuals = smoothedSeasonalResiduals(segment, 0, segment.values.length, m, spacingMs);
  let sumSquares = 0;
  let count = 0;
  for (const r of residuals) {
    if (Number.isNaN(r)) continue;
    sumSquares += r * r;
    count++;
  }
  if (count < seasonalMinCalibrationPoints) return undefined;
  const precedents = Float64Array.from(precedentList, (row) => Math.abs(residuals[row]!))
    .filter((r) => !Number.isNaN(r))
    .sort();
  return { spread: Math.max(minResidualSpread, Math.sqrt(sumSquares / count)), precedents };
}

/**
 * Forest scores of the listed rows of `matrix`, one array per list in the list's order; a row in
 * several lists is scored once.
 */
function scoreRows(forest: IsolationForest, matrix: Matrix, lists: readonly Int32Array[]): Float64Array[] {
  const { rows, cols } = matrix;
  const slot = new Int32Array(rows).fill(-1);
  let distinct = 0;
  for (const list of lists) for (const row of list) if (slot[row] === -1) slot[row] = distinct++;
  const data = new Float64Array(distinct * cols);
  for (let row = 0; row < rows; row++) {
    if (slot[row] !== -1) data.set(matrix.data.subarray(row * cols, (row + 1) * cols), slot[row]! * cols);
  }
  const scores = forest.score({ data, rows: distinct, cols });
  return lists.map((list) => Float64Array.from(list, (row) => scores[slot[row]!]!));
}
