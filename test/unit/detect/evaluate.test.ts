import { describe, expect, it } from 'vitest';
import { defaultDetector } from '../../../lib/config/defaults.js';
import { evaluateSeries, type ScoredVerdict, type SeriesVerdict } from '../../../lib/detect/evaluate.js';
import { refitPhasePoints } from '../../../lib/detect/fit-segment.js';
import { windowPoints } from '../../../lib/detect/window.js';
import { seriesKey } from '../../../lib/series/index.js';
import { noisySeries, seriesOf, slice } from './series-fixtures.js';


function scored(verdict: SeriesVerdict): ScoredVerdict {
  if (verdict.insufficient) throw new Error(`expected a scored verdict, got insufficient (${verdict.points} points)`);
  return verdict;
}

function endOf(points: { timestampsMs: Float64Array }): number {
  return points.timestampsMs[points.timestampsMs.length - 1]!;
}

describe('evaluateSeries', () => {
  it('gives no verdict for fewer than minPoints points, but still reports points and last', () => {
    // Prepare
    const detector = defaultDetector({ minPoints: 30 });
    const points = noisySeries(29, { seed: 1 });

    // Act
    const verdict = evaluateSeries(seriesOf(points), detector, { windowEndMs: endOf(points) });

    // Assess
    expect(verdict).toMatchObject({ insufficient: true, points: 29, minPoints: 30, last: points.values[28] });
    expect(verdict).not.toHaveProperty('score');
    expect(verdict).not.toHaveProperty('anomalous');
  });

  it('drops non-finite values, counts them, and judges on the finite points only', () => {
    // Prepare: 31 points, 2 of them NaN/Infinity -> 29 finite, below minPoints 30
    const points = noisySeries(31, { seed: 2 });
    points.values[5] = Number.NaN;
    points.values[30] = Number.POSITIVE_INFINITY;
    const series = { ...seriesOf(points), droppedNonFinite: 3 };

    // Act
    const verdict = evaluateSeries(series, defaultDetector({ minPoints: 30 }), { windowEndMs: endOf(points) });

    // Assess
    expect(verdict).toMatchObject({ insufficient: true, points: 29, droppedNonFinite: 5, last: points.values[29] });
  });

  it('is reproducible: the same series, detector and window end give the identical verdict', () => {
    const points = noisySeries(60, { seed: 3 });
    const detector = defaultDetector({ name: 'latency' });

    const first = scored(evaluateSeries(seriesOf(points), detector, { windowEndMs: endOf(points) }));
    const second = scored(evaluateSeries(seriesOf(points), detector, { windowEndMs: endOf(points) }));

    expect(second).toEqual(first);
    expect(Array.from(second.scores)).toEqual(Array.from(first.scores));
  });

  it('fits a different forest for a different window end (a fresh seed every run)', () => {
    const points = noisySeries(60, { seed: 4 });
    const detector = defaultDetector();

    const now = scored(evaluateSeries(seriesOf(points), detector, { windowEndMs: endOf(points) }));
    const later = scored(evaluateSeries(seriesOf(points), detector, { windowEndMs: endOf(points) + 60_000 }));

    expect(later.seed).not.toBe(now.seed);
    expect(Array.from(later.scores)).not.toEqual(Array.from(now.scores));
  });

  it('reports the seed\'s fields: points, last, an anomaly score in [0, 1] and minScore as the threshold', () => {
    const points = noisySeries(60, { seed: 5 });
    const detector = defaultDetector();

    const verdict = scored(evaluateSeries(seriesOf(points), detector, { windowEndMs: endOf(points) }));

    expect(verdict.points).toBe(60);
    expect(verdict.last).toBe(points.values[59]);
    expect(verdict.score >= 0 && verdict.score <= 1).toBe(true);
    for (const s of verdict.scores) expect(s > 0 && s <= 1).toBe(true);
    expect(verdict.threshold).toBe(detector.minScore);
    expect(verdict.anomalous).toBe(verdict.score >= detector.minScore);
  });

  it('almost never calls a noisy but healthy series anomalous now, although its window always "has anomalies" as the seed said', () => {
    // Prepare: three healthy series (different labels, so different seeds), 5 hours at 1-minute
    // steps; the run evaluates each one every minute over its window.
    const detector = defaultDetector();
    const w = windowPoints(detector);
    const evaluations: ScoredVerdict[] = [];
    for (const job of ['api', 'web', 'db']) {
      const points = noisySeries(w + 300, { seed: job.length * 7919 + job.charCodeAt(0) });

      // Act
      for (let end = w; end <= w + 300; end++) {
        const window = slice(points, end - w, end);
        evaluations.push(scored(evaluateSeries(seriesOf(window, { job }), detector, { windowEndMs: endOf(window) })));
      }
    }

    // Assess: healthy noise reaches minScore about once in 1,400 evaluations (6 series x 2,000:
    // 8 of 12,000 with the refit grid shared by all series, 9 with per-series refit phases), so
    // these 903 expect fewer than one. Measured: none with the shared grid, one since (db, 0.60).
    expect(evaluations).toHaveLength(903);
    expect(evaluations.filter((v) => v.anomalous).length).toBeLessThanOrEqual(1);
    expect(evaluations.every((v) => v.hasAnomaly && v.numAnomalies > 0)).toBe(true);
  }, 30_000); // 903 one-day evaluations, each fitting its own forest as a stateless run does

  it('calls a 12-sigma spike at the newest point of a one-day window anomalous in nearly every run, at every refit phase', () => {
    // Prepare: healthy history, then a 12-sigma spike as the newest point, with window ends at
    // four phases of the 10-step refit cycle, counted from the series' own refit phase (phase 0:
    // the newest point is part of the fit).
    // Measured: 79 of 80 fire (19, 20, 20, 20 per phase). Between refits the newest point is
    // scored out of sample, and Isolation Forest scores a point beyond everything it was fitted
    // on only as high as the most extreme point it saw; the beyond-the-range term
    // (extrapolationWeight) makes up for that. Without it only 63 of 80 fired (13 at phase 3).
    const detector = defaultDetector();
    const n = windowPoints(detector);
    const seriesPhase = refitPhasePoints(seriesKey({ job: 'api' }), detector.refitEveryPoints); // seriesOf's labels
    const verdicts: ScoredVerdict[] = [];
    for (const phaseMinutes of [0, 1, 3, 7]) {
      for (let seed = 1; seed <= 20; seed++) {
        const startMs = Date.UTC(2024, 0, 1) + (seriesPhase + phaseMinutes) * 60_000;
        const points = noisySeries(n, { seed, mean: 100, sd: 5, startMs });
        points.values[n - 1] = 160;

        // Act
        verdicts.push(scored(evaluateSeries(seriesOf(points), detector, { windowEndMs: endOf(points) })));
      }
    }

    // Assess
    expect(verdicts.filter((v) => v.anomalous).length).toBeGreaterThanOrEqual(76);
    for (const v of verdicts) {
      expect(v.anomalous).toBe(v.score >= v.threshold);
      expect(v.last).toBe(160);
    }
  });

  it('does not call a spike anomalous when the window already holds it every hour, but does the first time', () => {
    // Prepare: the same one-day windows, with and without an hourly batch-job spike before the
    // newest point; the newest point is that spike. Window ends at several refit phases.
    const detector = defaultDetector();
    const n = windowPoints(detector);
    const recurring: ScoredVerdict[] = [];
    const first: ScoredVerdict[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      const points = noisySeries(n, { seed, mean: 100, sd: 5, startMs: Date.UTC(2024, 0, 1) + (seed % 4) * 60_000 });
      points.values[n - 1] = 160;
      const hourly = { timestampsMs: points.timestampsMs, values: points.values.slice() };
      for (let i = n - 1 - 60; i >= 0; i -= 60) hourly.values[i] = 160;

      // Act
      first.push(scored(evaluateSeries(seriesOf(points), detector, { windowEndMs: endOf(points) })));
      recurring.push(scored(evaluateSeries(seriesOf(hourly), detector, { windowEndMs: endOf(hourly) })));
    }

    // Assess: 23 precedents in the window make the spike ordinary; without them it is an anomaly.
    // Measured: 1 of 12 recurring spikes still fires (it scored above every precedent).
    expect(recurring.filter((v) => v.anomalous).length).toBeLessThanOrEqual(1);
    expect(first.filter((v) => v.anomalous).length).toBeGreaterThanOrEqual(11);
  });

  it('calls a spike at the newest point of a short window anomalous, whatever the seed', () => {
    // Prepare: a 60-minute window (as the embedded demo uses), refitted with the newest point
    const detector = defaultDetector({ windowMinutes: 60 });
    const n = windowPoints(detector);
    const verdicts: ScoredVerdict[] = [];
    for (let seed = 1; seed <= 40; seed++) {
      const points = noisySeries(n, { seed, mean: 100, sd: 5 });
      points.values[n - 1] = 160;

      // Act
      verdicts.push(scored(evaluateSeries(seriesOf(points), detector, { windowEndMs: endOf(points) })));
    }

    // Assess
    expect(verdicts.filter((v) => !v.anomalous).map((v) => v.score)).toEqual([]);
  });

  it('calls a level shift anomalous when it happens, and normal once the window holds only the new level', () => {
    // Prepare: level 100 for a window, then 200 from then on
    const detector = defaultDetector();
    const n = windowPoints(detector);
    const points = noisySeries(3 * n, { seed: 11 });
    for (let i = n; i < 3 * n; i++) points.values[i] = points.values[i]! + 100;
    const at = (end: number) => {
      const window = slice(points, end - n, end);
      return scored(evaluateSeries(seriesOf(window), detector, { windowEndMs: endOf(window) }));
    };

    // Act
    const before = at(n);
    const firstShifted = at(n + 1);
    // Every 40th window once the window holds only the new level (every window is slow at 1,441 points).
    const settled = Array.from({ length: Math.floor(n / 40) }, (_, k) => at(2 * n + 1 + 40 * k));

    // Assess
    expect(before.anomalous).toBe(false);
    expect(firstShifted.anomalous).toBe(true);
    expect(settled.filter((v) => v.anomalous)).toEqual([]);
  });

  it('never calls a constant series anomalous', () => {
    const points = noisySeries(60, { seed: 12, sd: 0 });

    const verdict = scored(evaluateSeries(seriesOf(points), defaultDetector(), { windowEndMs: endOf(points) }));

    expect(verdict.anomalous).toBe(false);
    expect(verdict.numAnomalies).toBe(0);
  });

  it('with contamination auto, uses 0.5 as the contamination threshold', () => {
    const points = noisySeries(60, { seed: 13 });

    const verdict = scored(
      evaluateSeries(seriesOf(points), defaultDetector({ contamination: 'auto' }), { windowEndMs: endOf(points) }),
    );

    expect(verdict.contaminationThreshold).toBe(0.5);
    expect(verdict.numAnomalies).toBe(Array.from(verdict.calibrationScores).filter((s) => s > 0.5).length);
  });

  it('flags about the contamination fraction of the window, as the seed did', () => {
    const points = noisySeries(200, { seed: 14 });

    const verdict = scored(
      evaluateSeries(seriesOf(points), defaultDetector({ contamination: 0.05 }), { windowEndMs: endOf(points) }),
    );

    expect(verdict.numAnomalies).toBeGreaterThanOrEqual(9);
    expect(verdict.numAnomalies).toBeLessThanOrEqual(10);
  });
});
