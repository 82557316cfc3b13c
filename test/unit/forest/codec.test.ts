import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AiopsError, InputError } from '../../../lib/errors.js';
import {
  decodeForest,
  encodeForest,
  fitForest,
  ForestDecodeError,
  ForestInputError,
  matrixFromRows,
  Mulberry32,
  type IsolationForest,
  type Matrix,
} from '../../../lib/forest/index.js';
import { forestParts } from '../../../lib/forest/isolation-forest.js';

fc.configureGlobal({ seed: 20240214 });

/** A metric-like matrix: a slow wave per feature, noise, ties from rounding, a few spikes. */
function metricRows(n: number, cols: number, seed: number): Matrix {
  const rng = new Mulberry32(seed);
  return matrixFromRows(
    Array.from({ length: n }, (_, i) =>
      Array.from({ length: cols }, (_, c) => Math.round((10 * c + 3 * Math.sin(i / 50 + c) + rng.next()) * 16) / 16 + (i % 97 === 13 ? 12 : 0)),
    ),
  );
}

/** The rows scored after a round trip: the training data (psi = n answers it from the fit), a subset newest first, rows never seen. */
function rowsToScore(training: Matrix, seed: number): Matrix[] {
  const { data, rows, cols } = training;
  const subset: number[][] = [];
  for (let r = rows - 1; r >= 0; r -= 3) subset.push(Array.from(data.subarray(r * cols, (r + 1) * cols)));
  const unseen = metricRows(40, cols, seed + 1000);
  const far = matrixFromRows([Array.from({ length: cols }, () => 1e6), Array.from({ length: cols }, () => -1e6)]);
  return [training, matrixFromRows(subset), unseen, far];
}

/** Bit for bit: -0 against 0 or two NaN payloads would differ here, as they do not to `===`. */
function bits(scores: Float64Array): Uint8Array {
  return new Uint8Array(scores.buffer, scores.byteOffset, scores.byteLength);
}

function expectSameScores(decoded: IsolationForest, original: IsolationForest, matrices: Matrix[]): void {
  for (const matrix of matrices) expect(bits(decoded.score(matrix))).toEqual(bits(original.score(matrix)));
}

describe('encodeForest / decodeForest', () => {
  it.each([
    ['one feature, psi < n', 1, 600],
    ['one feature, psi = n', 1, 200],
    ['four features, psi < n', 4, 1300],
    ['four features, psi = n', 4, 256],
    ['two features, psi = n', 2, 90],
  ])('%s: the forest read back scores every row bit for bit as the one written (seeds 1-4)', (_name, cols, n) => {
    for (let seed = 1; seed <= 4; seed++) {
      // Prepare
      const training = metricRows(n, cols, seed);
      const original = fitForest(training, { seed });

      // Act
      const decoded = decodeForest(encodeForest(original));

      // Assess
      expect([decoded.trees, decoded.sampleSize, decoded.features]).toEqual([100, Math.min(256, n), cols]);
      expectSameScores(decoded, original, rowsToScore(training, seed));
    }
  });

  it('reads back the arrays of the fit, unreachable nodes included, and nothing of the training data', () => {
    for (const cols of [1, 3]) {
      const original = forestParts(fitForest(metricRows(150, cols, 7), { trees: 30, seed: 7 }))!;
      const decoded = forestParts(decodeForest(encodeForest(fitForest(metricRows(150, cols, 7), { trees: 30, seed: 7 }))))!;
      expect(original.layout.trees.training).not.toBeNull();
      expect(decoded).toEqual({ ...original, layout: { ...original.layout, trees: { ...original.layout.trees, training: null } } });
    }
  });

  it('any forest (fast-check: shapes, ties, psi below and at n, tiny and large values) reads back with the same scores and bytes', () => {
    const value = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -3, max: 3 }));
    const dataset = fc
      .record({ rows: fc.integer({ min: 2, max: 80 }), cols: fc.integer({ min: 1, max: 4 }) })
      .chain(({ rows, cols }) => fc.array(fc.array(value, { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows }));
    const options = fc.record({
      trees: fc.integer({ min: 1, max: 30 }),
      maxSamples: fc.integer({ min: 2, max: 100 }),
      seed: fc.integer({ min: 0, max: 0xffffffff }),
    });
    fc.assert(
      fc.property(dataset, options, (rows, opts) => {
        const training = matrixFromRows(rows);
        const original = fitForest(training, opts);
        const bytes = encodeForest(original);
        const decoded = decodeForest(bytes);
        expectSameScores(decoded, original, [training, matrixFromRows([rows[0]!.map((v) => v + 0.5), rows[0]!.map((v) => -v)])]);
        expect(encodeForest(decoded)).toEqual(bytes);
      }),
      { numRuns: 100 },
    );
  });

  it('reads bytes at any offset of a larger buffer (a Buffer from a pool, a slice of a bigger record)', () => {
    const training = metricRows(300, 2, 3);
    const original = fitForest(training, { seed: 3 });
    const bytes = encodeForest(original);
    const record = new Uint8Array(bytes.length + 3);
    record.set(bytes, 3);
    expectSameScores(decodeForest(record.subarray(3)), original, rowsToScore(training, 3));
  });

  it('writes the default forest (100 trees, psi 256, 4 features, 1,300 rows) in under 100 KB (its arrays take 510 KB)', () => {
    const bytes = encodeForest(fitForest(metricRows(1300, 4, 5), { seed: 5 }));
    expect(bytes.length).toBeLessThan(100_000);
  });

  it('encodes only forests made by fitForest or decodeForest', () => {
    const lookalike: IsolationForest = { trees: 1, sampleSize: 2, features: 1, score: () => new Float64Array(0) };
    expect(() => encodeForest(lookalike)).toThrow(ForestInputError);
    expect(() => encodeForest(lookalike)).toThrow(/only a forest made by fitForest or decodeForest/);
  });
});

describe('decodeForest on bytes that are not a forest', () => {
  const bytes = encodeForest(fitForest(metricRows(400, 3, 11), { trees: 20, seed: 11 }));
  const univariateBytes = encodeForest(fitForest(metricRows(100, 1, 12), { trees: 20, seed: 12 }));

  function decodeError(input: Uint8Array): ForestDecodeError {
    try {
      decodeForest(input);
    } catch (error) {
      expect(error).toBeInstanceOf(ForestDecodeError);
      return error as ForestDecodeError;
    }
    throw new Error(`decodeForest returned a forest from ${input.length} bytes`);
  }

  it.each([
    ['nothing', () => 0],
    ['3 bytes', () => 3],
    ['the magic', () => 4],
    ['magic and version', () => 5],
    ['all but the last header byte', () => 47],
    ['the header', () => 48],
    ['200 bytes', () => 200],
    ['half', (length: number) => Math.floor(length / 2)],
    ['all but 8 bytes', (length: number) => length - 8],
    ['all but the last byte', (length: number) => length - 1],
  ])('truncated to %s: says so, with the length expected and the length got', (_name, cut) => {
    for (const whole of [bytes, univariateBytes]) {
      const length = cut(whole.length);
      const error = decodeError(whole.slice(0, length));
      const expected = length < 48 ? 'at least 48' : String(whole.length);
      expect(error.message).toBe(`forest bytes truncated: expected ${expected}, got ${length}`);
    }
  });

  it('too long, another magic, another version', () => {
    const longer = new Uint8Array(bytes.length + 8);
    longer.set(bytes);
    expect(decodeError(longer).message).toBe(`forest bytes too long: expected ${bytes.length}, got ${bytes.length + 8}`);
    const json = new TextEncoder().encode('{"forest": "not this"}'.padEnd(64));
    expect(decodeError(json).message).toBe('not forest bytes: they start with 7b 22 66 6f, not the magic "IFOR"');
    const flipped = bytes.slice();
    flipped[0] = flipped[0]! ^ 0x20;
    expect(decodeError(flipped).message).toMatch(/^not forest bytes: they start with 69 46 4f 52/);
    const future = bytes.slice();
    future[4] = 2;
    expect(decodeError(future).message).toBe('forest bytes of version 2, this reader knows version 1');
  });

  it('any one bit flipped anywhere (fast-check) throws a ForestDecodeError, never a forest or another error', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 7 }), (univariate, at, bit) => {
        const damaged = (univariate ? univariateBytes : bytes).slice();
        const index = at % damaged.length;
        damaged[index] = damaged[index]! ^ (1 << bit);
        decodeError(damaged);
      }),
      { numRuns: 2000 },
    );
  });

  it('a damaged section says which check failed (the checksum)', () => {
    const damaged = bytes.slice();
    damaged[bytes.length - 20] = damaged[bytes.length - 20]! ^ 1;
    expect(decodeError(damaged).message).toMatch(/^forest bytes damaged: checksum 0x[0-9a-f]{8}, the bytes give 0x[0-9a-f]{8}$/);
  });

  it('is an AiopsError a caller catches to refit, not an InputError (nothing the user typed)', () => {
    const error = decodeError(new Uint8Array(0));
    expect(error).toBeInstanceOf(AiopsError);
    expect(error).not.toBeInstanceOf(InputError);
    expect(error.name).toBe('ForestDecodeError');
  });
});
