/**
 * Daily seasonality, for windows that reach back more than {@link seasonalMinDays} days (e.g.
 * `windowMinutes` 7200 at a 5-minute step, the window the NAB benchmark replays). The seasonal
 * residual of a point is its value minus the mean of the values at the same time of day on the
 * earlier days of the window: a daily peak that does not come, or a night as busy as a day,
 * looks ordinary to features of the last hour (value, difference, rolling deviation) and stands
 * out here. lib/detect/evaluate.ts calibrates the newest points' residual against those of its
 * fit segment ({@link seasonalMinCalibrationPoints} at least). A function of the points given
 * alone, so a run and a backtest that replay the same windows agree exactly. The default one-day
 * window has no earlier day in it: there is no residual and nothing changes.
 */
import { lowerBound, movingAverages } from './arrays.js';
import type { WindowPoints } from './features.js';

export const dayMs = 86_400_000;

/** Earlier days a seasonal residual needs: with one, a single odd yesterday would be "normal". */
export const seasonalMinDays = 2;

/** Earlier days averaged at most (the newest ones): a week, so a weekly rhythm averages out. */
export const seasonalMaxDays = 7;

/** Fit-segment points with a seasonal residual needed before the residuals calibrate a score. */
export const seasonalMinCalibrationPoints = 100;

/**
 * Index of the point of `timestampsMs[0..before)` nearest to `targetMs`, if one lies within half a
 * spacing of it; -1 otherwise.
 */
function nearestPoint(timestampsMs: Float64Array, before: number, targetMs: number, spacingMs: number): number {
  const lo = lowerBound(timestampsMs, before, targetMs);
  let best = -1;
  let bestGap = spacingMs / 2;
  for (const j of [lo - 1, lo]) {
    if (j < 0 || j >= before) continue;
    const gap = Math.abs(timestampsMs[j]! - targetMs);
    if (gap <= bestGap) {
      bestGap = gap;
      best = j;
    }
  }
  return best;
}

/**
 * Point i's value minus the mean value at the same time of day on up to {@link seasonalMaxDays}
 * earlier days of the window (the nearest point within half a spacing of each); NaN when fewer
 * than {@link seasonalMinDays} earlier days have such a point.
 */
export function seasonalResidual(window: WindowPoints, i: number, spacingMs: number): number {
  const { timestampsMs, values } = window;
  let sum = 0;
  let days = 0;
  for (let d = 1; d <= seasonalMaxDays; d++) {
    const target = timestampsMs[i]! - d * dayMs;
    if (target < timestampsMs[0]! - spacingMs / 2) break;
    const j = nearestPoint(timestampsMs, i, target, spacingMs);
    if (j < 0) continue;
    sum += values[j]!;
    days++;
  }
  return days >= seasonalMinDays ? values[i]! - sum / days : Number.NaN;
}

/**
 * For each window point in [from, to): the average seasonal residual of it and the `m - 1` points
 * before it (NaN where any of them has none), as the forest reading averages `smoothPoints`.
 */
export function smoothedSeasonalResiduals(window: WindowPoints, from: number, to: number, m: number, spacingMs: number): Float64Array {
  const first = Math.max(0, from - m + 1);
  const residuals = Float64Array.from({ length: to - first }, (_, k) => seasonalResidual(window, first + k, spacingMs));
  // Average k ends at window point first + k + m - 1; the points before m - 1 have none (NaN).
  const averages = movingAverages(residuals, m);
  const out = new Float64Array(to - from).fill(Number.NaN);
  if (averages.length > 0) out.set(averages, first + m - 1 - from);
  return out;
}
