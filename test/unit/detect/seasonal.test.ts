import { describe, expect, it } from 'vitest';
import { defaultDetector } from '../../../lib/config/defaults.js';
import { evaluateSeries, type ScoredVerdict } from '../../../lib/detect/evaluate.js';
import { seasonalResidual, smoothedSeasonalResiduals } from '../../../lib/detect/seasonal.js';
import { windowPoints } from '../../../lib/detect/window.js';
import { gaussian, seriesOf, slice } from './series-fixtures.js';

const stepMs = 300_000;
const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
const midnight = Date.UTC(2024, 0, 1);

type Points = { timestampsMs: Float64Array; values: Float64Array };

/**
 * Daily load at a 5-minute step from midnight: 20 at night, a smooth daytime hump up to 80
 * (08:00-18:00), Gaussian noise of sd 2. From `peakMissingFrom` on, the hump does not come.
 */
function dailyLoad(days: number, seed: number, peakMissingFrom = Infinity): Points {
  const n = Math.round((days * dayMs) / stepMs) + 1;
  const next = gaussian(seed);
  const timestampsMs = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = midnight + i * stepMs;
    const hour = (t % dayMs) / hourMs;
    const hump = hour >= 8 && hour <= 18 ? Math.sin((Math.PI * (hour - 8)) / 10) : 0;
    timestampsMs[i] = t;
    values[i] = 20 + (t >= peakMissingFrom ? 0 : 60 * hump) + 2 * next();
  }
  return { timestampsMs, values };
}

describe('seasonalResidual', () => {
  it('is the value minus the mean at the same time on the earlier days of the window', () => {
    // Prepare: three days at a 5-minute step; the same time of day holds 10, 14, then 30.
    const points = dailyLoad(2, 1);
    const i = points.values.length - 1;
    points.values[i] = 30;
    points.values[i - 288] = 14;
    points.values[i - 576] = 10;

    // Act / Assess: 30 against the mean of 10 and 14.
    expect(seasonalResidual(points, i, stepMs)).toBe(18);
  });

  it('has none with fewer than two earlier days in the window', () => {
    // Two days and one point: the newest point has two earlier days, the one before it and the
    // point a day in only one.
    const points = dailyLoad(2, 2);

    expect(seasonalResidual(points, points.values.length - 1, stepMs)).not.toBeNaN();
    expect(seasonalResidual(points, points.values.length - 2, stepMs)).toBeNaN();
    expect(seasonalResidual(points, 288, stepMs)).toBeNaN();
  });

  it('takes the nearest point within half a spacing of each earlier day, and skips a day without one', () => {
    // Prepare: timestamps jitter by up to a minute; the point a day before the newest is missing.
    const base = dailyLoad(3, 3);
    const keep = Array.from(base.values.keys()).filter((i) => i !== base.values.length - 1 - 288);
    const points: Points = {
      timestampsMs: Float64Array.from(keep, (i) => base.timestampsMs[i]! + ((i % 3) - 1) * 60_000),
      values: Float64Array.from(keep, (i) => base.values[i]!),
    };
    const newest = points.values.length - 1;
    const expected = base.values[base.values.length - 1]! - (base.values[base.values.length - 1 - 576]! + base.values[base.values.length - 1 - 864]!) / 2;

    // Act / Assess: days 2 and 3 back (day 1 has no point within 2.5 minutes).
    expect(seasonalResidual(points, newest, stepMs)).toBeCloseTo(expected, 12);
  });

  it('smooths over the given number of points, NaN where any of them has no residual', () => {
    const points = dailyLoad(3, 4);
    const n = points.values.length;

    const smoothed = smoothedSeasonalResiduals(points, n - 4, n, 3, stepMs);
    const byHand = (i: number) => (seasonalResidual(points, i - 2, stepMs) + seasonalResidual(points, i - 1, stepMs) + seasonalResidual(points, i, stepMs)) / 3;

    expect(Array.from(smoothed)).toEqual([byHand(n - 4), byHand(n - 3), byHand(n - 2), byHand(n - 1)]);
    // At two days and one point, the oldest of the three has only one earlier day.
    expect(smoothedSeasonalResiduals(points, 576 + 1, 576 + 3, 3, stepMs)[0]).toBeNaN();
  });
});

describe('daily seasonality in the anomaly score', () => {
  // Five days at a 5-minute step: the window the NAB benchmark replays (1,441 points).
  const detector = defaultDetector({ windowMinutes: 7200, stepSeconds: 300 });
  const n = windowPoints(detector);
  const lastDay = midnight + 6 * dayMs;
  const windowEndingAt = (points: Points, endMs: number): ScoredVerdict => {
    const end = Math.round((endMs - midnight) / stepMs) + 1;
    const window = slice(points, end - n, end);
    const verdict = evaluateSeries(seriesOf(window), detector, { windowEndMs: endMs });
    if (verdict.insufficient) throw new Error(`expected a scored verdict, got ${verdict.points} points`);
    return verdict;
  };

  it('calls a daily peak that does not come anomalous within 40 minutes, not before', () => {
    for (let seed = 1; seed <= 3; seed++) {
      // Prepare: six ordinary days, then the seventh stays at its night level from 08:00.
      const points = dailyLoad(7, seed, lastDay + 8 * hourMs);

      // Act: every 5 minutes from 07:00 to 08:40.
      const verdicts = Array.from({ length: 21 }, (_, k) => windowEndingAt(points, lastDay + 7 * hourMs + k * stepMs));

      // Assess: quiet while the day is ordinary; anomalous by 08:40 (measured: 08:25 to 08:30).
      // Features of the last hour see nothing odd here (the scores stay below 0.1 without the
      // seasonal reading): the night level is normal, only its time of day is not.
      const firstAnomalous = verdicts.findIndex((v) => v.anomalous);
      expect(firstAnomalous, `seed ${seed}: ${verdicts.map((v) => v.score.toFixed(2)).join(' ')}`).toBeGreaterThan(12);
      expect(verdicts.at(-1)!.anomalous, `seed ${seed}`).toBe(true);
    }
  }, 120_000);

  it('stays quiet through an ordinary day of the same pattern', () => {
    for (let seed = 1; seed <= 3; seed++) {
      const points = dailyLoad(7, seed);

      // Act: every hour of the last day (peak, ramps and night).
      const verdicts = Array.from({ length: 24 }, (_, k) => windowEndingAt(points, lastDay + k * hourMs));

      // Assess (measured: highest score 0.24).
      expect(verdicts.filter((v) => v.anomalous).map((v) => v.score), `seed ${seed}`).toEqual([]);
    }
  }, 120_000);
});
