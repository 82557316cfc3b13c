import { describe, expect, it } from 'vitest';
import { defaultDetector } from '../../../lib/config/defaults.js';
import { evaluateSeries } from '../../../lib/detect/evaluate.js';
import { fitSegmentBounds, refitPhasePoints } from '../../../lib/detect/fit-segment.js';
import { windowPoints } from '../../../lib/detect/window.js';
import { seriesKey } from '../../../lib/series/index.js';
import { noisySeries, seriesOf } from './series-fixtures.js';

const stepMs = 60_000;

/** 1,000 series keys as one scrape job's targets would have them. */
const keys = Array.from({ length: 1000 }, (_, i) =>
  seriesKey({ __name__: 'http_requests_total', instance: `10.0.${i >> 8}.${i & 255}:9100`, job: 'api' }),
);

/** The timestamps of a full gap-free window ending at `endMs` (values do not matter here). */
function windowEndingAt(n: number, endMs: number) {
  const timestampsMs = Float64Array.from({ length: n }, (_, i) => endMs - (n - 1 - i) * stepMs);
  return { timestampsMs, values: new Float64Array(n) };
}

describe('fitSegmentBounds', () => {
  it('spreads refits over series: about 1 in refitEveryPoints refits at each window end, none all of them', () => {
    // Prepare: the default one-day window (1,441 points > maxSamples, so it has a fit end) and
    // the window ends of three refit cycles
    const detector = defaultDetector();
    const k = detector.refitEveryPoints;
    const n = windowPoints(detector);
    const firstEndMs = Date.UTC(2024, 0, 1, 12);
    const ends = Array.from({ length: 3 * k + 1 }, (_, i) => firstEndMs + i * stepMs);

    const windows = ends.map((endMs) => windowEndingAt(n, endMs));

    // Act
    const fitEnds = keys.map((key) =>
      ends.map((endMs, i) => fitSegmentBounds(windows[i]!, endMs, stepMs, 30, detector, key).fitEndMs),
    );

    // Assess: a series refits at a window end when its fit end moves from the previous end's
    const refitsAt = ends.slice(1).map((_, i) => fitEnds.filter((f) => f[i + 1] !== f[i]).length);
    for (const count of refitsAt) {
      expect(count).toBeGreaterThan((0.7 * keys.length) / k);
      expect(count).toBeLessThan((1.3 * keys.length) / k);
    }
    expect(refitsAt.reduce((a, b) => a + b, 0)).toBe(3 * keys.length);
    // Each series refits exactly every k steps, at its own phase
    fitEnds.forEach((f, s) => {
      const refitSteps = f.flatMap((fitEndMs, i) => (i > 0 && fitEndMs !== f[i - 1] ? [i] : []));
      expect(refitSteps).toHaveLength(3);
      expect(refitSteps[1]! - refitSteps[0]!).toBe(k);
      expect(refitSteps[2]! - refitSteps[1]!).toBe(k);
      expect(new Set(f.map((fitEndMs) => (fitEndMs / stepMs) % k))).toEqual(new Set([refitPhasePoints(keys[s]!, k)]));
    });
  });

  it('gives every phase in [0, refitEveryPoints) to some series, for other cadences too', () => {
    for (const k of [1, 2, 7, 10, 16, 30]) {
      const phases = new Set(keys.map((key) => refitPhasePoints(key, k)));
      expect([...phases].sort((a, b) => a - b)).toEqual(Array.from({ length: k }, (_, i) => i));
    }
  });
});

describe('evaluateSeries refit cadence', () => {
  it('refits a series every refitEveryPoints runs, at the phase of its labels', () => {
    // Prepare: one series evaluated at consecutive window ends, as a run a minute would
    const detector = defaultDetector({ trees: 5 });
    const k = detector.refitEveryPoints;
    const n = windowPoints(detector);
    const labels = { job: 'api', instance: 'a:9100' };
    const points = noisySeries(n + 2 * k, { seed: 5 });

    // Act
    const fitEnds = Array.from({ length: 2 * k + 1 }, (_, i) => {
      const window = { timestampsMs: points.timestampsMs.slice(i, i + n), values: points.values.slice(i, i + n) };
      const verdict = evaluateSeries(seriesOf(window, labels), detector, { windowEndMs: window.timestampsMs[n - 1]! });
      if (verdict.insufficient) throw new Error('expected a verdict');
      return verdict.fitEndMs;
    });

    // Assess: the fit end moves every k window ends, to the series' phase plus a multiple of k steps
    const moves = fitEnds.flatMap((f, i) => (i > 0 && f !== fitEnds[i - 1] ? [i] : []));
    expect(moves).toHaveLength(2);
    expect(moves[1]! - moves[0]!).toBe(k);
    const phase = refitPhasePoints(seriesKey(labels), k);
    for (const f of fitEnds) expect((f / stepMs) % k).toBe(phase);
  });
});
