/**
 * One evaluation of one series: features -> forest -> calibrated anomaly score -> the decision
 * about the newest point. Pure and deterministic. The scheduled run calls this once per series
 * per run; the backtest calls it once per replayed row; nothing else decides whether a point is
 * anomalous.
 *
 * How a window is judged (every step is a function of the window alone, so a stateless run and
 * a backtest that replays the same windows agree exactly):
 * 1. Fit segment: the forest is fitted on the window's points up to the fit end, the window end
 *    aligned down to a multiple of `refitEveryPoints` steps (and at most windowPoints -
 *    refitEveryPoints points long, so it always lies inside the window). Between refits the
 *    newest points are scored out of sample. The seed comes from the fit end, so the same
 *    segment always gives the same forest (the backtest memoises it by that key).
 * 2. Calibration: up to {@link calibrationPoints} points spread over the segment are scored; their
 *    mean and standard deviation describe what "normal" scores look like for this series.
 * 3. Anomaly score: the average forest score of the newest `smoothPoints` points, as z standard
 *    deviations above that mean, turned into a log-scale likelihood in [0, 1]
 *    (lib/detect/likelihood.ts), or the newest point's own score read the same way and weighted
 *    down, or, when the window reaches back more than two days, the newest points' seasonal
 *    residual (lib/detect/seasonal.ts: the value against the same time on earlier days) read the
 *    same way against the fit segment's residuals and weighted down, whichever is highest. Each
 *    reading is capped by its precedents: how many of the segment's earlier points already
 *    reached it ({@link allowedPrecedents}). An hourly batch job's spike is isolated every time it
 *    happens, but it is not a 1-in-100,000 event.
 * 4. Decision: anomalous when the score is at least `minScore`. The alert lifecycle then fires
 *    once, stays firing (without repeating) while the score stays high, and resolves after it.
 * 5. Onset score (the backtest's `anomaly_score`): the score, but 0 when any of the
 *    `suppressPoints` points before the newest already reached `minScore` (scored the same way
 *    with the same forest): one report per onset, as the alert lifecycle notifies once.
 */
import { contaminationThreshold, fitForest, type IsolationForest, type Matrix } from '../forest/index.js';
import { seriesKey, type Labels, type Series } from '../series/index.js';
import { lowerBound, movingAverages } from './arrays.js';
import type { DetectionSettings } from './detection-settings.js';
import { buildFeatureMatrix, rollingPoints, type WindowPoints } from './features.js';
import { likelihoodScore, scoreDecades } from './likelihood.js';
import { seasonalMinCalibrationPoints, smoothedSeasonalResiduals } from './seasonal.js';
import { detectionSeed } from './seed.js';
import { windowPoints } from './window.js';

export type { DetectionSettings };

/** Most points of the fit segment that are scored to calibrate (a bounded cost per fit). */
export const calibrationPoints = 256;

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

/**
 * Precedents: points of the fit segment whose forest score reached a reading (the single-point
 * score, or for the smoothed reading the average of `smoothPoints` consecutive points). A reading
 * with more than this many precedents is capped: it is no rarer than the fraction of the
 * segment's points beyond these that reached it, p = (precedents - allowedPrecedents) / points,
 * so its score is at most -log10(p) / 10 (about 0.31 for one too many in a one-day window:
 * below any sensible minScore). A first occurrence has none and keeps its Gaussian-tail score. NAB
 * (bench/nab/RESULTS.md, third round): 0 allowed loses windows, 3 is the best measured.
 */
export const allowedPrecedents = 3;

/**
 * The newest points of the segment are not precedents: an incident that began minutes ago must
 * not make itself normal (a sustained level shift would resolve and fire again), while a spike
 * that also happened two hours ago has that one as precedent.
 */
export const precedentGapPoints = 100;

/** Most segment points scored as possible precedents (the newest ones before the gap). */
export const precedentPoints = 2048;

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

interface FittedSegment {
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

export interface EvaluateOptions {
  /** End of the window the series was read for (Unix ms): fixes the fit end and the seed. */
  windowEndMs: number;
  /**
   * The series' spacing in ms (the backtest passes the data's median spacing); default the
   * detector's step, which is what the run's range query returns.
   */
  spacingMs?: number;
  /** Reuse between evaluations of one series (backtest); results are identical without it. */
  cache?: EvaluationCache;
  /**
   * Also compute `onsetScore` (the backtest's `anomaly_score`), which scores the
   * `suppressPoints` points before the newest too. The run decides on `score` and skips it.
   */
  onset?: boolean;
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
  /** Forest seed used (reproduce with the same detector, labels, fit end). */
  seed: number;
  /** Start of the fit end's step (Unix ms): the forest is the same for every window sharing it. */
  fitEndMs: number;
  /** Raw forest scores s(x) in (0, 1] of the newest points scored (oldest first; for charts). */
  scores: Float64Array;
  /**
   * Anomaly score of the newest point in [0, 1] (a log-scale likelihood; see the module
   * comment): what the run logs and decides on.
   */
  score: number;
  /**
   * The same, but 0 when one of the `suppressPoints` points before already reached `minScore`:
   * one report per onset, as the alert lifecycle notifies once per incident. The backtest's
   * `anomaly_score` (what NAB scores) is this. Undefined unless asked for (`options.onset`).
   */
  onsetScore: number | undefined;
  /** Raw forest scores of the calibration points (newest first): the distribution `score` is judged against. */
  calibrationScores: Float64Array;
  /** Raw forest score the calibration points' top `contamination` fraction exceeds (0.5 for `auto`). */
  contaminationThreshold: number;
  /** The threshold for `score`: `minScore`. */
  threshold: number;
  /** The seed's meaning, over the calibration points: how many score above the contamination threshold. */
  numAnomalies: number;
  hasAnomaly: boolean;
  /** The decision: the newest point's anomaly score is at least `minScore`. */
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

function slice(window: WindowPoints, start: number, end: number): WindowPoints {
  return { timestampsMs: window.timestampsMs.subarray(start, end), values: window.values.subarray(start, end) };
}

/** Fits (or takes from the cache) the forest and calibration of the segment [start, end). */
function fitSegment(
  window: WindowPoints,
  start: number,
  end: number,
  fitEndMs: number,
  seed: number,
  detector: DetectionSettings,
  spacingMs: number,
  cache: EvaluationCache | undefined,
): FittedSegment {
  const n = end - start;
  const key = `${seed}:${fitEndMs}:${n}:${window.timestampsMs[start]}:${window.timestampsMs[end - 1]}`;
  if (cache?.fit?.key === key) return cache.fit;
  const matrix = buildFeatureMatrix(slice(window, start, end), detector.features);
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
  // trees were built on (see extrapolationWeight).
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
    seasonal: seasonalCalibration(slice(window, start, end), m, spacingMs, precedentList),
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
 * The segment rows (of `rows`) that are precedents, newest first: from
 * {@link precedentGapPoints} back, at most {@link precedentPoints}, and not the segment's oldest
 * rows, whose rolling features saw fewer than rollingPoints points (their odd features isolate
 * them: they would be precedents of every reading).
 */
function precedentRows(rows: number): Int32Array {
  const eligible = Math.max(1, rows - (rollingPoints - 1));
  const first = Math.min(precedentGapPoints, eligible - 1);
  const count = Math.min(eligible, precedentPoints) - first;
  return Int32Array.from({ length: count }, (_, i) => rows - 1 - first - i);
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

/**
 * A reading's likelihood score capped by its precedents in `sorted` (ascending): see
 * {@link allowedPrecedents}.
 */
function capByPrecedents(score: number, reading: number, sorted: Float64Array): number {
  const beyondAllowed = sorted.length - lowerBound(sorted, sorted.length, reading) - allowedPrecedents;
  if (beyondAllowed <= 0) return score;
  return Math.min(score, -Math.log10(beyondAllowed / sorted.length) / scoreDecades);
}

/**
 * Evaluates one series over one window. Fewer than `minPoints` finite points (or fewer than 2,
 * which no forest can be fitted on) gives an {@link InsufficientVerdict}. Otherwise the newest
 * point gets an anomaly score as the module comment describes, and is anomalous when that score
 * is at least `minScore`.
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
  const minPoints = Math.max(2, detector.minPoints);
  if (n < minPoints) {
    return { ...base, insufficient: true, minPoints: detector.minPoints };
  }

  // 1. The fit segment: [fitEnd - (windowPoints - 1 - k) spacings, fitEnd], inside any window
  // that ends before the next refit. Half a spacing of slack for jittered timestamps.
  const spacingMs = options.spacingMs ?? detector.stepSeconds * 1000;
  const k = detector.refitEveryPoints;
  const periodMs = k * spacingMs;
  let fitEndMs = Math.floor(options.windowEndMs / periodMs) * periodMs;
  const segmentSpanMs = (windowPoints(detector) - 1 - k) * spacingMs;
  const { timestampsMs } = window;
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
    fitEndMs = options.windowEndMs;
  }
  const seed = detectionSeed(detector.name, series.labels, fitEndMs);
  const fit = fitSegment(window, start, end, fitEndMs, seed, detector, spacingMs, options.cache);

  // 2-3. Forest scores of the newest smoothPoints + suppressPoints points. Their features come
  // from the window's last points (enough to give each a full rolling look-back when the window
  // has it); a row's score is a function of its features, so it is cached by them.
  const m = detector.smoothPoints;
  const needed = Math.min(n, m + (options.onset ? detector.suppressPoints : 0));
  const tailStart = Math.max(0, n - needed - rollingPoints);
  const tail = buildFeatureMatrix(slice(window, tailStart, n), detector.features);
  const cols = tail.cols;
  const firstNeeded = tail.rows - needed;
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
  // How many feature standard deviations each row lies beyond the segment's range (0 inside it),
  // in its most extreme feature: what the forest cannot see (extrapolationWeight).
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
  const score = anomalyScoreAt(needed - 1);

  // 4. One report per onset (backtest only).
  let onsetScore: number | undefined;
  if (options.onset) {
    onsetScore = score;
    for (let r = needed - 2; r >= needed - 1 - detector.suppressPoints && r >= 0; r--) {
      if (anomalyScoreAt(r) >= detector.minScore) {
        onsetScore = 0;
        break;
      }
    }
  }

  const cutoff = contaminationThreshold(fit.calibration, detector.contamination);
  let numAnomalies = 0;
  for (const s of fit.calibration) if (s > cutoff) numAnomalies++;
  return {
    ...base,
    insufficient: false,
    last: window.values[n - 1]!,
    seed,
    fitEndMs,
    scores,
    score,
    onsetScore,
    calibrationScores: fit.calibration,
    contaminationThreshold: cutoff,
    threshold: detector.minScore,
    numAnomalies,
    hasAnomaly: numAnomalies > 0,
    anomalous: score >= detector.minScore,
  };
}
