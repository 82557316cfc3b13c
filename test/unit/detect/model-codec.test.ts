import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DetectorConfig } from '../../../lib/config/config.js';
import { defaultDetector } from '../../../lib/config/defaults.js';
import { fitSegment, fitSegmentBounds, type FittedSegment } from '../../../lib/detect/fit-segment.js';
import { decodeModel, encodeModel, ModelDecodeError } from '../../../lib/detect/model-codec.js';
import { readNewestPoints } from '../../../lib/detect/readings.js';
import { detectionSeed } from '../../../lib/detect/seed.js';
import { windowPoints } from '../../../lib/detect/window.js';
import { AiopsError } from '../../../lib/errors.js';
import { seriesKey } from '../../../lib/series/index.js';
import { ForestDecodeError, ForestInputError } from '../../../lib/forest/index.js';
import { gaussian, slice } from './series-fixtures.js';

fc.configureGlobal({ seed: 20240214 });

type Points = { timestampsMs: Float64Array; values: Float64Array };

/** A metric with a daily cycle, noise and a spike near the end, one point per `stepMs`. */
function dailySeries(n: number, stepMs: number, seed: number): Points {
  const next = gaussian(seed);
  const startMs = Date.UTC(2024, 0, 1);
  const timestampsMs = Float64Array.from({ length: n }, (_, i) => startMs + i * stepMs);
  const values = Float64Array.from(timestampsMs, (t) => 100 + 20 * Math.sin((2 * Math.PI * (t - startMs)) / 86_400_000) + 3 * next());
  values[n - 2] = values[n - 2]! + 60;
  return { timestampsMs, values };
}

/** The window of `detector` ending at point `last` of `points`, and the segment fitted for it, as evaluateSeries fits it. */
function fitFor(points: Points, last: number, detector: DetectorConfig): { window: Points; fit: FittedSegment } {
  const window = slice(points, Math.max(0, last + 1 - windowPoints(detector)), last + 1);
  const spacingMs = detector.stepSeconds * 1000;
  const endMs = window.timestampsMs[window.timestampsMs.length - 1]!;
  const { start, end, fitEndMs } = fitSegmentBounds(window, endMs, spacingMs, detector.minPoints, detector, seriesKey({ job: 'api' }));
  const seed = detectionSeed(detector.name, { job: 'api' }, fitEndMs);
  return { window, fit: fitSegment(window, start, end, fitEndMs, seed, detector, spacingMs, undefined) };
}

/** Raw forest scores (as bits) and anomaly scores of the newest points of `window` read against `fit`. */
function readings(window: Points, fit: FittedSegment, detector: DetectorConfig): { scores: Uint8Array; anomaly: number[] } {
  const needed = detector.smoothPoints + detector.suppressPoints;
  const { scores, anomalyScoreAt } = readNewestPoints(window, needed, fit, detector, detector.stepSeconds * 1000);
  return { scores: new Uint8Array(scores.buffer), anomaly: Array.from({ length: needed }, (_, r) => anomalyScoreAt(r)) };
}

const cases: [string, DetectorConfig, number, number][] = [
  // name, detector, points in the series, step in ms
  ['the default detector (1-day window, 4 features, psi 256 < n)', defaultDetector({ name: 'latency' }), 2000, 60_000],
  ['a 3-day window at 5 minutes (seasonal reading)', defaultDetector({ windowMinutes: 3 * 1440, stepSeconds: 300 }), 1000, 300_000],
  ['a 3-hour window (psi = n, 4 features)', defaultDetector({ windowMinutes: 180, minPoints: 30 }), 400, 60_000],
  ['one feature, psi = n', defaultDetector({ windowMinutes: 180, features: ['value'] }), 400, 60_000],
  ['one feature, psi < n', defaultDetector({ features: ['value'] }), 2000, 60_000],
];

describe('encodeModel / decodeModel', () => {
  it.each(cases)('%s: readings against the segment read back equal those against the one written', (_name, detector, n, stepMs) => {
    for (const seed of [1, 2]) {
      // Prepare: a segment fitted as a run fits it, and a window 5 points later, with the spike
      // in it (newer points the forest never saw, as a warm run reads them against a stored segment).
      const points = dailySeries(n, stepMs, seed);
      const { window, fit } = fitFor(points, n - 8, detector);
      const later = fitFor(points, n - 3, detector);

      // Act
      const decoded = decodeModel(encodeModel(fit));

      // Assess: everything but the forest and the score cache equal, bit for bit; every reading equal.
      const { forest, rowScores, ...rest } = fit;
      const { forest: decodedForest, rowScores: decodedRowScores, ...decodedRest } = decoded;
      expect(decodedRest).toEqual(rest);
      expect(decodedRowScores.size).toBe(0);
      expect([decodedForest.trees, decodedForest.sampleSize, decodedForest.features]).toEqual([forest.trees, forest.sampleSize, forest.features]);
      expect(readings(window, decoded, detector)).toEqual(readings(window, fit, detector));
      expect(readings(later.window, decoded, detector)).toEqual(readings(later.window, fit, detector));
      expect(rowScores.size).toBeGreaterThan(0);
    }
  });

  it('covers what it claims: the seasonal case has a seasonal calibration, the others none', () => {
    const seasonal = fitFor(dailySeries(1000, 300_000, 1), 992, cases[1]![1]).fit;
    const daily = fitFor(dailySeries(2000, 60_000, 1), 1992, cases[0]![1]).fit;
    expect(seasonal.seasonal).toBeDefined();
    expect(decodeModel(encodeModel(seasonal)).seasonal).toEqual(seasonal.seasonal);
    expect(daily.seasonal).toBeUndefined();
    expect(decodeModel(encodeModel(daily)).seasonal).toBeUndefined();
  });

  it('keeps any key exactly, lone surrogates included', () => {
    const { fit } = fitFor(dailySeries(400, 60_000, 3), 392, cases[2]![1]);
    const key = `${fit.key}:\ud800:é:${'x'.repeat(5000)}`;
    expect(decodeModel(encodeModel({ ...fit, key })).key).toBe(key);
  });

  it('reads bytes at an odd offset of a larger buffer', () => {
    const { fit } = fitFor(dailySeries(400, 60_000, 4), 392, cases[2]![1]);
    const bytes = encodeModel(fit);
    const record = new Uint8Array(bytes.length + 5);
    record.set(bytes, 5);
    expect(decodeModel(record.subarray(5)).calibration).toEqual(fit.calibration);
  });

  it('refuses a segment whose forest fitForest did not make', () => {
    const { fit } = fitFor(dailySeries(400, 60_000, 5), 392, cases[2]![1]);
    const forest = { trees: 1, sampleSize: 2, features: 4, score: () => new Float64Array(0) };
    expect(() => encodeModel({ ...fit, forest })).toThrow(ForestInputError);
  });
});

describe('decodeModel on bytes that are not a model', () => {
  const { fit } = fitFor(dailySeries(2000, 60_000, 6), 1992, defaultDetector());
  const bytes = encodeModel(fit);
  const forestAt = bytes.length - new DataView(bytes.buffer).getUint32(40, true);

  function decodeError(input: Uint8Array): ModelDecodeError {
    try {
      decodeModel(input);
    } catch (error) {
      expect(error).toBeInstanceOf(ModelDecodeError);
      return error as ModelDecodeError;
    }
    throw new Error(`decodeModel returned a model from ${input.length} bytes`);
  }

  it.each([0, 4, 8, 71, 72, 500, forestAt, forestAt + 100, bytes.length - 1])('truncated to %i bytes: says so, expected and got', (length) => {
    const expected = length < 72 ? 'at least 72' : String(bytes.length);
    expect(decodeError(bytes.slice(0, length)).message).toBe(`model bytes truncated: expected ${expected}, got ${length}`);
  });

  it('too long, another magic, another version', () => {
    const longer = new Uint8Array(bytes.length + 8);
    longer.set(bytes);
    expect(decodeError(longer).message).toBe(`model bytes too long: expected ${bytes.length}, got ${bytes.length + 8}`);
    const forestBytes = bytes.slice(forestAt);
    expect(decodeError(forestBytes).message).toBe('not model bytes: they start with 49 46 4f 52, not the magic "FSEG"');
    const future = bytes.slice();
    future[4] = 9;
    expect(decodeError(future).message).toBe('model bytes of version 9, this reader knows version 1');
  });

  it('damage to the forest is a ModelDecodeError whose cause is the ForestDecodeError', () => {
    const damaged = bytes.slice();
    damaged[bytes.length - 100] = damaged[bytes.length - 100]! ^ 4;
    const error = decodeError(damaged);
    expect(error.message).toMatch(/^model's forest: forest bytes damaged: checksum/);
    expect(error.cause).toBeInstanceOf(ForestDecodeError);
    expect(error).toBeInstanceOf(AiopsError);
  });

  it('any one bit flipped anywhere (fast-check) throws a ModelDecodeError, never a model or another error', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 7 }), fc.boolean(), (at, bit, inHeader) => {
        const damaged = bytes.slice();
        // Half the flips in the model's own part (the first forestAt bytes), half anywhere.
        const index = inHeader ? at % forestAt : at % bytes.length;
        damaged[index] = damaged[index]! ^ (1 << bit);
        decodeError(damaged);
      }),
      { numRuns: 1000 },
    );
  });
});
