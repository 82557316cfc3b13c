import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backtestSeries, type BacktestRow } from '../../../lib/backtest/replay.js';
import { defaultDetector } from '../../../lib/config/defaults.js';
import { evaluateSeries } from '../../../lib/detect/evaluate.js';
import { detectionWindow, windowPoints } from '../../../lib/detect/window.js';
import { InputError } from '../../../lib/errors.js';
import { noisySeries } from '../detect/series-fixtures.js';

// Small forests keep the property tests fast; the semantics do not depend on the size.
const quick = defaultDetector({ windowMinutes: 30, minPoints: 10, trees: 20 });

describe('backtestSeries', () => {
  it('gives one row per input row, score 0 and no alert until the window has minPoints points', async () => {
    // Prepare
    const points = noisySeries(40, { seed: 1 });

    // Act
    const { rows } = await backtestSeries(points, quick);

    // Assess
    expect(rows).toHaveLength(40);
    expect(rows.map((r) => r.timestampMs)).toEqual(Array.from(points.timestampsMs));
    expect(rows.map((r) => r.value)).toEqual(Array.from(points.values));
    for (const row of rows.slice(0, 9)) expect(row).toMatchObject({ anomalyScore: 0, anomalous: false, alert: 'none' });
    for (const row of rows.slice(9)) expect(row.anomalyScore > 0 && row.anomalyScore <= 1).toBe(true);
  });

  it('scores each row exactly as the scheduled run would have at that time', async () => {
    // Prepare: a 1-minute series; the run at time t reads detectionWindow(t) from Prometheus
    const detector = defaultDetector({ windowMinutes: 30, minPoints: 10, trees: 30, name: 'latency' });
    const points = noisySeries(80, { seed: 2 });
    const labels = { job: 'api' };

    // Act
    const { rows } = await backtestSeries(points, detector, { labels });

    // Assess
    for (const i of [9, 25, 29, 30, 31, 79]) {
      const nowMs = points.timestampsMs[i]! + 17_000; // a run some seconds after the sample
      const { startMs, endMs } = detectionWindow(detector, nowMs);
      const inWindow = Array.from(points.timestampsMs, (t, j) => j).filter(
        (j) => points.timestampsMs[j]! >= startMs && points.timestampsMs[j]! <= endMs,
      );
      const verdict = evaluateSeries(
        {
          labels,
          timestampsMs: Float64Array.from(inWindow, (j) => points.timestampsMs[j]!),
          values: Float64Array.from(inWindow, (j) => points.values[j]!),
          droppedNonFinite: 0,
        },
        detector,
        { windowEndMs: endMs, onset: true },
      );
      expect(verdict.insufficient).toBe(false);
      if (!verdict.insufficient) {
        expect(rows[i]!.anomalyScore).toBe(verdict.onsetScore);
        expect(rows[i]!.anomalous).toBe(verdict.anomalous);
      }
    }
  });

  it('gives every row exactly what an uncached run computes, across refits, with the default one-day window', async () => {
    // Prepare: 5-minute data longer than a window, with a spike and a level shift, so forests
    // are reused between refits, windows slide and onsets get suppressed
    const detector = defaultDetector({ trees: 20 });
    const n = windowPoints(detector);
    const points = noisySeries(n + 60, { seed: 21, stepMs: 300_000 });
    points.values[n + 10] = 400;
    for (let i = n + 30; i < n + 60; i++) points.values[i] = points.values[i]! + 50;

    // Act
    const { rows } = await backtestSeries(points, detector);

    // Assess
    for (let i = n - 5; i < n + 60; i += 3) {
      const start = Math.max(0, i - n + 1);
      const verdict = evaluateSeries(
        {
          labels: {},
          timestampsMs: points.timestampsMs.slice(start, i + 1),
          values: points.values.slice(start, i + 1),
          droppedNonFinite: 0,
        },
        detector,
        { windowEndMs: points.timestampsMs[i]!, spacingMs: 300_000, onset: true },
      );
      if (verdict.insufficient) throw new Error('expected a verdict');
      expect([i, rows[i]!.anomalyScore, rows[i]!.anomalous]).toEqual([i, verdict.onsetScore, verdict.anomalous]);
    }
    expect(rows[n + 10]!.anomalous).toBe(true);
  });

  it('reports an onset once: the rows after a detection score 0 for suppressPoints rows while the run stays anomalous', async () => {
    // Prepare: a sustained level shift on 5-minute data after a full window of noise
    const detector = defaultDetector({ trees: 30 });
    const n = windowPoints(detector);
    const points = noisySeries(n + 40, { seed: 22, stepMs: 300_000 });
    for (let i = n; i < n + 40; i++) points.values[i] = points.values[i]! + 100;

    // Act
    const { rows } = await backtestSeries(points, detector);

    // Assess
    const shifted = rows.slice(n);
    expect(shifted[0]!.anomalous).toBe(true);
    expect(shifted[0]!.anomalyScore).toBeGreaterThanOrEqual(detector.minScore);
    expect(shifted.slice(1).every((r) => r.anomalyScore === 0)).toBe(true);
    expect(shifted[0]!.alert).toBe('firing');
    // The incident goes on: still anomalous (so still firing) some rows later
    expect(shifted[5]!.anomalous).toBe(true);
    expect(shifted[5]!.alert).toBe('none');
  });

  it('is causal: changing later rows never changes an earlier row', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 0, max: 44 }),
        fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 15 }),
        async (seed, cut, replacement) => {
          // Prepare: the same 60 rows, then everything after `cut` replaced
          const original = noisySeries(60, { seed });
          const changed = { timestampsMs: original.timestampsMs, values: original.values.slice() };
          for (let i = cut + 1; i < 60; i++) changed.values[i] = replacement[i % replacement.length]!;

          // Act
          const before = await backtestSeries(original, quick);
          const after = await backtestSeries(changed, quick);

          // Assess
          expect(after.rows.slice(0, cut + 1)).toEqual(before.rows.slice(0, cut + 1));
        },
      ),
      { numRuns: 15 },
    );
  });

  it('is deterministic', async () => {
    const points = noisySeries(60, { seed: 3 });

    const first = await backtestSeries(points, quick, { labels: { job: 'api' } });
    const second = await backtestSeries(points, quick, { labels: { job: 'api' } });

    expect(second).toEqual(first);
  });

  it('fires once on a spike, stays quiet while it is repeated within the interval, and resolves after resolveAfter normal rows', async () => {
    // Prepare: healthy noise with a 3-row incident at rows 60..62
    const detector = defaultDetector({ windowMinutes: 60, minPoints: 30 });
    const points = noisySeries(100, { seed: 4 });
    for (const i of [60, 61, 62]) points.values[i] = 400;

    // Act
    const { rows } = await backtestSeries(points, detector, {
      alertPolicy: { repeatIntervalMinutes: 240, resolveAfter: 2, sendResolved: true },
    });

    // Assess
    const alerts = rows.map((r: BacktestRow, i) => [i, r.alert]).filter(([, a]) => a !== 'none');
    expect(rows[60]!.anomalous).toBe(true);
    expect(alerts[0]).toEqual([60, 'firing']);
    expect(alerts.filter(([, a]) => a === 'firing')).toHaveLength(1);
    const resolvedAt = alerts.find(([, a]) => a === 'resolved');
    expect(resolvedAt).toBeDefined();
    const [at] = resolvedAt!;
    // resolveAfter 2: the two rows before the resolved one were normal verdicts
    expect(rows[(at as number) - 1]!.anomalous).toBe(false);
    expect(rows[at as number]!.anomalous).toBe(false);
    expect(rows[(at as number) - 2]!.anomalous).toBe(true);
  });

  it('keeps the number of points of a window for data whose spacing is not the detector step', async () => {
    // Prepare: 5-minute data (like NAB) and a detector of 30 one-minute steps
    const points = noisySeries(50, { seed: 5, stepMs: 300_000 });

    // Act
    const result = await backtestSeries(points, quick);

    // Assess: the window is 31 points of 5 minutes, as a 1-minute series has 31 points in
    // [t - 30 min, t]
    expect(result.windowPoints).toBe(31);
    expect(result.spacingMs).toBe(300_000);
    const last30 = evaluateSeries(
      {
        labels: {},
        timestampsMs: points.timestampsMs.slice(19),
        values: points.values.slice(19),
        droppedNonFinite: 0,
      },
      quick,
      { windowEndMs: points.timestampsMs[49]!, spacingMs: 300_000, onset: true },
    );
    expect(last30.insufficient).toBe(false);
    if (!last30.insufficient) expect(result.rows[49]!.anomalyScore).toBe(last30.onsetScore);
  });

  it('replays rows with repeated timestamps in order, and rejects rows that go back in time', async () => {
    const points = noisySeries(30, { seed: 6 });
    const repeated = { timestampsMs: points.timestampsMs.slice(), values: points.values };
    repeated.timestampsMs[20] = repeated.timestampsMs[19]!;
    const backwards = { timestampsMs: points.timestampsMs.slice(), values: points.values };
    backwards.timestampsMs[20] = repeated.timestampsMs[18]!;

    const replayed = await backtestSeries(repeated, quick);
    expect(replayed.rows).toHaveLength(30);
    expect(replayed.rows[20]!.anomalyScore).toBeGreaterThan(0);
    await expect(backtestSeries(backwards, quick)).rejects.toThrow(InputError);
    await expect(backtestSeries(backwards, quick)).rejects.toThrow(/point 20 .* is before point 19/);
  });

  it('rejects timestamps and values of different lengths', async () => {
    const points = noisySeries(30, { seed: 7 });

    await expect(backtestSeries({ timestampsMs: points.timestampsMs, values: points.values.slice(1) }, quick)).rejects.toThrow(
      /30 timestamps but 29 values/,
    );
  });

  it('reports progress up to the total and stops when aborted', async () => {
    const points = noisySeries(200, { seed: 8 });
    const progress: [number, number][] = [];
    const controller = new AbortController();

    await backtestSeries(points, quick, { onProgress: (done, total) => progress.push([done, total]) });
    const aborted = backtestSeries(points, quick, {
      signal: controller.signal,
      onProgress: () => controller.abort(new Error('stop')),
    });

    expect(progress.at(-1)).toEqual([200, 200]);
    expect(progress.every(([done, total], i) => total === 200 && (i === 0 || done > progress[i - 1]![0]))).toBe(true);
    await expect(aborted).rejects.toThrow('stop');
  });
});

describe('detectionWindow and windowPoints', () => {
  it('query the same span the backtest replays: windowMinutes back from the step-aligned end, both ends included', () => {
    const detector = defaultDetector({ windowMinutes: 60, stepSeconds: 60 });
    const nowMs = Date.UTC(2024, 0, 1, 12, 0, 42);

    const { startMs, endMs } = detectionWindow(detector, nowMs);

    expect(endMs).toBe(Date.UTC(2024, 0, 1, 12, 0, 0));
    expect(startMs).toBe(Date.UTC(2024, 0, 1, 11, 0, 0));
    expect(windowPoints(detector)).toBe((endMs - startMs) / 60_000 + 1);
  });
});
