/**
 * One evaluation of one series: features -> forest -> calibrated anomaly score -> the decision
 * about the newest point. Pure and deterministic. The scheduled run calls this once per series
 * per run; the backtest calls it once per replayed row; nothing else decides whether a point is
 * anomalous.
 *
 * How a window is judged (every step is a function of the window alone, so a stateless run and
 * a backtest that replays the same windows agree exactly):
 * 1. Fit segment (lib/detect/fit-segment.ts): the forest is fitted on the window's points up to
 *    the fit end, the window end aligned down to the series' phase plus a multiple of
 *    `refitEveryPoints` steps (and at most windowPoints - refitEveryPoints points long, so it
 *    always lies inside the window). The phase comes from a hash of the series key, so each
 *    series refits every `refitEveryPoints` steps but a run refits only about one series in
 *    `refitEveryPoints`, not all of them at once. Between refits the newest points are scored
 *    out of sample. The seed comes from the fit end, so the same segment always gives the same
 *    forest (the backtest memoises it by that key).
 * 2. Calibration (lib/detect/fit-segment.ts): up to `calibrationPoints` points spread over the
 *    segment are scored; their mean and standard deviation describe what "normal" scores look
 *    like for this series.
 * 3. Anomaly score (lib/detect/readings.ts): the average forest score of the newest
 *    `smoothPoints` points, as z standard deviations above that mean, turned into a log-scale
 *    likelihood in [0, 1] (lib/detect/likelihood.ts), or the newest point's own score read the
 *    same way and weighted down, or, when the window reaches back more than two days, the newest
 *    points' seasonal residual (lib/detect/seasonal.ts: the value against the same time on
 *    earlier days) read the same way against the fit segment's residuals and weighted down,
 *    whichever is highest. Each reading is capped by its precedents: how many of the segment's
 *    earlier points already reached it (`allowedPrecedents`, lib/detect/precedents.ts). An hourly
 *    batch job's spike is isolated every time it happens, but it is not a 1-in-100,000 event.
 * 4. Decision: anomalous when the score is at least `minScore`. The alert lifecycle then fires
 *    once, stays firing (without repeating) while the score stays high, and resolves after it.
 * 5. Onset score (the backtest's `anomaly_score`): the score, but 0 when any of the
 *    `suppressPoints` points before the newest already reached `minScore` (scored the same way
 *    with the same forest): one report per onset, as the alert lifecycle notifies once.
 */
import { contaminationThreshold } from '../forest/index.js';
import { seriesKey, type Series } from '../series/index.js';
import type { DetectionSettings } from './detection-settings.js';
import { fitSegment, fitSegmentBounds, type EvaluationCache } from './fit-segment.js';
import { readNewestPoints } from './readings.js';
import { detectionSeed } from './seed.js';
import type { InsufficientVerdict, ScoredVerdict, SeriesVerdict, VerdictBase } from './verdict.js';
import { finitePoints } from './window-points.js';

// What other modules import from here; each is defined beside its concern.
export type { DetectionSettings, EvaluationCache, InsufficientVerdict, ScoredVerdict, SeriesVerdict };
export { calibrationPoints } from './fit-segment.js';
export { allowedPrecedents, precedentGapPoints, precedentPoints } from './precedents.js';
export { extrapolationMargin, extrapolationWeight, seasonalWeight, singlePointWeight } from './readings.js';

/** How {@link evaluateSeries} is called besides the series and the detector. */
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

  // 1-2. The fit segment and its forest and calibration.
  const spacingMs = options.spacingMs ?? detector.stepSeconds * 1000;
  const { start, end, fitEndMs } = fitSegmentBounds(window, options.windowEndMs, spacingMs, minPoints, detector, base.seriesKey);
  const seed = detectionSeed(detector.name, series.labels, fitEndMs);
  const fit = fitSegment(window, start, end, fitEndMs, seed, detector, spacingMs, options.cache);

  // 3. Readings of the newest smoothPoints (+ suppressPoints for the onset score) points.
  const needed = Math.min(n, detector.smoothPoints + (options.onset ? detector.suppressPoints : 0));
  const { scores, anomalyScoreAt } = readNewestPoints(window, needed, fit, detector, spacingMs);
  const score = anomalyScoreAt(needed - 1);

  // 5. One report per onset (backtest only).
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
