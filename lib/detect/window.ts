/**
 * What "the window" of a detector is, in one place: the scheduled run asks Prometheus for
 * {@link detectionWindow} and the backtest replays the same number of points, so both score
 * the newest point against the same amount of history.
 */
import { InputError } from '../errors.js';
import type { DetectionSettings } from './detection-settings.js';

/**
 * Samples in a full window: windowMinutes * 60 / stepSeconds (rounded down) plus one, because a
 * Prometheus range query returns both ends of [end - windowMinutes, end] (61 points for the
 * default 60 minutes at 60 s, as the seed detector also got).
 */
export function windowPoints(detector: Pick<DetectionSettings, 'windowMinutes' | 'stepSeconds'>): number {
  // A tiny epsilon keeps 0.1 * 60 / 6 (= 0.99999...) from losing a point to float rounding.
  return Math.floor((detector.windowMinutes * 60) / detector.stepSeconds + 1e-9) + 1;
}

/**
 * The range the scheduled run queries for the window ending at `nowMs`: the end aligned down to
 * the step (so every run of a detector sees the same grid, and the seed's window end is
 * reproducible) and the start `windowMinutes` before it. Both ends are included, so a gap-free
 * series yields {@link windowPoints} samples, the newest at `endMs`.
 */
export function detectionWindow(
  detector: Pick<DetectionSettings, 'windowMinutes' | 'stepSeconds'>,
  nowMs: number,
): { startMs: number; endMs: number } {
  const stepMs = detector.stepSeconds * 1000;
  const endMs = Math.floor(nowMs / stepMs) * stepMs;
  return { startMs: endMs - detector.windowMinutes * 60_000, endMs };
}

/**
 * The typical spacing of a series: the median of its consecutive timestamp differences (robust
 * to a few gaps and repeated timestamps). Timestamps must be finite and ascending (equal
 * neighbours are allowed: recorded data has them, e.g. around a daylight-saving change); the
 * error names the 0-based index of the first offender.
 */
export function medianSpacingMs(timestampsMs: Float64Array): number {
  const n = timestampsMs.length;
  if (n < 2) throw new InputError(`need at least 2 timestamps to infer the spacing, got ${n}`);
  const gaps = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) {
    const gap = timestampsMs[i]! - timestampsMs[i - 1]!;
    if (!(gap >= 0)) {
      throw new InputError(
        `timestamps must be ascending: point ${i} (${timestampsMs[i]}) is before point ${i - 1} (${timestampsMs[i - 1]})`,
      );
    }
    gaps[i - 1] = gap;
  }
  gaps.sort();
  const mid = gaps.length >> 1;
  const median = gaps.length % 2 === 1 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
  if (!(median > 0)) throw new InputError(`most timestamps repeat the previous one: cannot infer a spacing`);
  return median;
}
