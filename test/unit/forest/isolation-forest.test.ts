import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors.js';
import {
  averagePathLength,
  contaminationThreshold,
  fitForest,
  ForestInputError,
  matrixFromColumns,
  matrixFromRows,
  Mulberry32,
  type Matrix,
} from '../../../lib/forest/index.js';
import { buildForest, scorePathLengths, sumPathLengths } from '../../../lib/forest/trees.js';
import { buildUnivariateForest, sumUnivariatePathLengths } from '../../../lib/forest/univariate-trees.js';

function noisyRows(n: number, cols: number, seed: number): number[][] {
  const rng = new Mulberry32(seed);
  return Array.from({ length: n }, () => Array.from({ length: cols }, (_, c) => 10 * c + rng.next() + rng.next()));
}

// scikit-learn 1.2: sklearn.ensemble._iforest._average_path_length([3, 256]).
const C3 = 1.207392357589623;
const C256 = 10.244770920119917;

describe('averagePathLength (c(n), as scikit-learn _average_path_length)', () => {
  it('is 0 for n <= 1, 1 for n = 2, and 2(ln(n-1) + gamma) - 2(n-1)/n above', () => {
    expect(averagePathLength(0)).toBe(0);
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    expect(averagePathLength(3)).toBeCloseTo(C3, 12);
    expect(averagePathLength(256)).toBeCloseTo(C256, 12);
  });
});

describe('matrixFromRows / matrixFromColumns', () => {
  it('lay values out row-major', () => {
    const fromRows = matrixFromRows([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const fromColumns = matrixFromColumns([
      [1, 3, 5],
      [2, 4, 6],
    ]);
    expect(fromRows).toEqual({ data: Float64Array.of(1, 2, 3, 4, 5, 6), rows: 3, cols: 2 });
    expect(fromColumns).toEqual(fromRows);
  });

  it.each([
    ['no rows', () => matrixFromRows([]), /no rows/],
    ['an empty row', () => matrixFromRows([[]]), /no columns/],
    ['a ragged row', () => matrixFromRows([[1, 2], [3]]), /row 1 has 1 values, row 0 has 2/],
    ['NaN', () => matrixFromRows([[1], [Number.NaN]]), /row 1, column 0: NaN is not a finite number/],
    ['Infinity', () => matrixFromRows([[1, Infinity]]), /row 0, column 1: Infinity is not a finite number/],
    ['no columns', () => matrixFromColumns([]), /no columns/],
    ['an empty column', () => matrixFromColumns([[]]), /no rows/],
    ['a ragged column', () => matrixFromColumns([[1, 2], [3]]), /column 1 has 1 values, column 0 has 2/],
    ['-Infinity in a column', () => matrixFromColumns([[1, 2], [3, -Infinity]]), /row 1, column 1: -Infinity/],
  ])('reject %s with a ForestInputError saying where', (_name, build, message) => {
    expect(build).toThrow(ForestInputError);
    expect(build).toThrow(message);
  });

  it('ForestInputError is an InputError (the CLI prints it and exits 2)', () => {
    expect(() => matrixFromRows([])).toThrow(InputError);
  });
});

describe('fitForest', () => {
  it('reports trees, psi = min(maxSamples, n) and features', () => {
    const small = fitForest(matrixFromRows(noisyRows(100, 3, 1)), { trees: 7, maxSamples: 256 });
    const large = fitForest(matrixFromRows(noisyRows(1000, 1, 1)));
    expect([small.trees, small.sampleSize, small.features]).toEqual([7, 100, 3]);
    expect([large.trees, large.sampleSize, large.features]).toEqual([100, 256, 1]);
  });

  it('gives identical scores for the same seed and data, different ones for another seed', () => {
    const data = matrixFromRows(noisyRows(300, 2, 2));
    const first = fitForest(data, { seed: 123 }).score(data);
    const again = fitForest(data, { seed: 123 }).score(data);
    const other = fitForest(data, { seed: 124 }).score(data);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('scores a spike highest and an ordinary point near or below 0.5', () => {
    const rows = noisyRows(500, 1, 3);
    rows[250] = [25];
    const data = matrixFromRows(rows);
    const scores = fitForest(data, { trees: 200 }).score(data);
    const best = scores.indexOf(Math.max(...scores));
    expect(best).toBe(250);
    expect(scores[250]).toBeGreaterThan(0.7);
    const sorted = [...scores].sort((a, b) => a - b);
    expect(sorted[250]).toBeLessThan(0.5);
  });

  it('scores new data with the fitted trees (a far point above training points)', () => {
    const train = matrixFromRows(noisyRows(200, 2, 4));
    const forest = fitForest(train, { trees: 200 });
    const [inside, outside] = forest.score(matrixFromRows([[0.9, 10.9], [50, -40]]));
    expect(outside).toBeGreaterThan(inside!);
    expect(outside).toBeGreaterThan(0.7);
  });

  it('treats a feature constant in a node as not splittable, and all-constant data as one leaf', () => {
    // Column 1 is constant: every split must use column 0, so scores match the column-0 forest
    // (up to the randomness of 2000 trees). Splitting on the constant column would be impossible
    // to do and still isolate anything, and would pull every score towards 0.5.
    const column0 = noisyRows(64, 1, 5).map((row) => row[0]!);
    const withConstant = matrixFromColumns([column0, column0.map(() => 3)]);
    const alone = matrixFromColumns([column0]);
    const scoresWith = fitForest(withConstant, { trees: 2000, seed: 9 }).score(withConstant);
    const scoresAlone = fitForest(alone, { trees: 2000, seed: 10 }).score(alone);
    for (let i = 0; i < 64; i++) expect(Math.abs(scoresWith[i]! - scoresAlone[i]!)).toBeLessThan(0.01);
    // Every row equal: each tree is one leaf of psi rows, depth c(psi), so s = 2^-1 exactly.
    const flat = matrixFromRows(Array.from({ length: 10 }, () => [1, 2]));
    for (const score of fitForest(flat).score(flat)) expect(score).toBeCloseTo(0.5, 12);
  });

  it('the one-feature layout grows exactly the trees of the general layout', () => {
    const rng = new Mulberry32(11);
    // Half-steps make ties, which exercise the constant-node and equal-value paths.
    const values = Float64Array.from({ length: 150 }, () => Math.round(rng.next() * 40) / 2);
    const matrix = matrixFromColumns([values]);
    const generalForest = buildForest(matrix, 60, 150, 77);
    const univariateForest = buildUnivariateForest(values, 60, 150, 77);
    // The training rows (answered from the fit) and other rows (walked through the trees): the
    // same sums bit for bit, added tree by tree in the same order.
    const other = matrixFromColumns([Float64Array.from([...values].reverse().concat([-5, 0.25, 7.75, 99]))]);
    for (const data of [matrix, other]) {
      expect(sumUnivariatePathLengths(univariateForest, data)).toEqual(sumPathLengths(generalForest, data));
    }
  });

  it.each([1, 2, 3])('with one feature and psi = n (seed %i), the path lengths recorded during the fit are the trees walked, bit for bit', (seed) => {
    // Prepare: ties and a spike, as a metric window has.
    const rng = new Mulberry32(seed);
    const values = Float64Array.from({ length: 200 }, () => Math.round(rng.next() * 80) / 8 + rng.next() * 1e-3);
    values[50] = 40;
    const matrix = matrixFromColumns([values]);
    const forest = buildUnivariateForest(values, 100, 200, seed);

    // Act: the recorded sums, and the same trees walked without the record.
    const recorded = sumUnivariatePathLengths(forest, matrix);
    const walked = sumUnivariatePathLengths({ ...forest, training: null }, matrix);

    // Assess
    expect(forest.training).not.toBeNull();
    expect(recorded).toEqual(walked);
  });

  it.each([2, 3, 5])('with %i features and psi = n, the path lengths recorded during the fit are the trees walked', (cols) => {
    // Prepare: few distinct values (ties, constant features in small nodes) and a spike.
    const rng = new Mulberry32(cols);
    const rows = Array.from({ length: 240 }, () => Array.from({ length: cols }, () => Math.round(rng.next() * 12) / 4));
    rows[100] = rows[100]!.map((v) => v + 40);
    const matrix = matrixFromRows(rows);

    // Act
    const forest = buildForest(matrix, 50, 240, 5);
    const recorded = forest.training!.sums;
    const walked = sumPathLengths(forest, matrix);

    // Assess: the same sums, and the public score answers from the record for the training data
    // but walks for a changed copy (one value moved, so the record no longer applies).
    expect(recorded).toEqual(walked);
    const scores = fitForest(matrix, { trees: 50, seed: 5 }).score(matrix);
    const changed = matrixFromRows(rows.map((row, r) => (r === 0 ? row.map((v) => v + 0.01) : row)));
    const changedScores = fitForest(matrix, { trees: 50, seed: 5 }).score(changed);
    expect(changedScores.subarray(1)).toEqual(scores.subarray(1));
    expect(scores[100]).toBe(Math.max(...scores));
  });

  it('answers rows equal to training rows (a subset, another order) from the fit, and walks only the others', () => {
    // Prepare: a calibration-like sample (every 3rd training row, newest first), then rows the
    // forest never saw, one of them equal to a training row in its first feature only.
    const rng = new Mulberry32(21);
    const rows = Array.from({ length: 200 }, () => [Math.round(rng.next() * 20) / 4, rng.next()]);
    const forest = buildForest(matrixFromRows(rows), 40, 200, 8);
    const sample = rows.filter((_, r) => r % 3 === 0).reverse();
    const mixed = matrixFromRows([...sample, [rows[5]![0]!, 7], [100, -100], [2.5, 0.5]]);

    // Act
    const answered = scorePathLengths(forest, mixed);

    // Assess: exactly what walking every row gives.
    expect(answered).toEqual(sumPathLengths(forest, mixed));
  });

  it.each([
    ['trees 0', { trees: 0 }, /trees must be an integer in \[1, 1000000\], got 0/],
    ['trees 1.5', { trees: 1.5 }, /trees must be/],
    ['maxSamples 1', { maxSamples: 1 }, /maxSamples must be an integer >= 2, got 1/],
    ['seed -1', { seed: -1 }, /seed must be an integer in \[0, 4294967295\], got -1/],
    ['seed 2^32', { seed: 2 ** 32 }, /seed must be/],
  ])('rejects %s', (_name, options, message) => {
    const data = matrixFromRows(noisyRows(10, 1, 6));
    expect(() => fitForest(data, options)).toThrow(ForestInputError);
    expect(() => fitForest(data, options)).toThrow(message);
  });

  it('rejects a single row, a hand-made matrix with NaN or a bad shape, and scoring the wrong width', () => {
    const nan: Matrix = { data: Float64Array.of(1, Number.NaN, 3), rows: 3, cols: 1 };
    const short: Matrix = { data: new Float64Array(5), rows: 3, cols: 2 };
    expect(() => fitForest(matrixFromRows([[1, 2]]))).toThrow(/at least 2 rows.*got 1/);
    expect(() => fitForest(nan)).toThrow(/training data: row 1, column 0: NaN is not a finite number/);
    expect(() => fitForest(short)).toThrow(/data has 5 values, expected rows x cols = 6/);
    const forest = fitForest(matrixFromRows(noisyRows(20, 2, 7)));
    expect(() => forest.score(matrixFromRows([[1, 2, 3]]))).toThrow(/3 columns, the forest was fitted on 2/);
    expect(() => forest.score({ data: Float64Array.of(1, Infinity), rows: 1, cols: 2 })).toThrow(
      /data to score: row 0, column 1: Infinity/,
    );
  });

  it('refuses a forest too large to allocate instead of running out of memory', () => {
    const data = matrixFromColumns([Float64Array.from({ length: 5000 }, (_, i) => i), new Float64Array(5000)]);
    expect(() => fitForest(data, { trees: 100_000, maxSamples: 4096 })).toThrow(/forest too large/);
  });
});

describe('contaminationThreshold (scikit-learn offset_, negated)', () => {
  const scores = [0.1, 0.2, 0.3, 0.4, 0.5];

  it("is 0.5 for 'auto'", () => {
    expect(contaminationThreshold(scores, 'auto')).toBe(0.5);
  });

  it('is the (1 - c) quantile with linear interpolation, like np.percentile', () => {
    // np.percentile([.1,.2,.3,.4,.5], 75) = 0.4; 90 -> 0.46; 50 -> 0.3 (unsorted input too).
    expect(contaminationThreshold(scores, 0.25)).toBeCloseTo(0.4, 12);
    expect(contaminationThreshold([0.5, 0.1, 0.4, 0.2, 0.3], 0.1)).toBeCloseTo(0.46, 12);
    expect(contaminationThreshold(scores, 0.5)).toBeCloseTo(0.3, 12);
  });

  it.each([
    [0, /\(0, 0.5\], got 0/],
    [0.6, /got 0.6/],
    [Number.NaN, /got NaN/],
    ['half' as unknown as number, /got half/],
  ])('rejects contamination %s', (contamination, message) => {
    expect(() => contaminationThreshold(scores, contamination)).toThrow(ForestInputError);
    expect(() => contaminationThreshold(scores, contamination)).toThrow(message);
  });

  it('rejects no scores and non-finite scores', () => {
    expect(() => contaminationThreshold([], 0.1)).toThrow(/at least one training score/);
    expect(() => contaminationThreshold([0.2, Number.NaN], 0.1)).toThrow(/training score 1 is NaN/);
  });
});
