import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors.js';
import { buildFeatureMatrix, featureNames, type FeatureName } from '../../../lib/detect/features.js';

function windowOf(values: number[]) {
  return { values: Float64Array.from(values), timestampsMs: Float64Array.from(values.map((_, i) => i * 60_000)) };
}

describe('buildFeatureMatrix', () => {
  it('gives one row per point with the value and its first difference, the oldest point\'s difference 0', () => {
    // Prepare
    const window = windowOf([10, 12, 9, 9, 30]);

    // Act
    const matrix = buildFeatureMatrix(window, ['value', 'diff']);

    // Assess
    expect(matrix.rows).toBe(5);
    expect(matrix.cols).toBe(2);
    const rows = Array.from({ length: 5 }, (_, r) => [matrix.data[r * 2], matrix.data[r * 2 + 1]]);
    expect(rows).toEqual([
      [10, 0],
      [12, 2],
      [9, -3],
      [9, 0],
      [30, 21],
    ]);
  });

  it('gives the deviation from the mean and the standard deviation of the last 12 points, from fewer near the start', () => {
    // Prepare: 20 points at 5, then a jump to 17 (the 21st point)
    const window = windowOf([...Array.from({ length: 20 }, () => 5), 17]);

    // Act
    const matrix = buildFeatureMatrix(window, ['deviation', 'stddev']);

    // Assess: the jump is 11 above the mean of 11 fives and itself (mean 6); spread sqrt(11)
    const at = (r: number) => [matrix.data[r * 2]!, matrix.data[r * 2 + 1]!];
    expect(at(0)).toEqual([0, 0]);
    expect(at(19)).toEqual([0, 0]);
    expect(at(20)[0]).toBeCloseTo(11, 10);
    expect(at(20)[1]).toBeCloseTo(Math.sqrt((11 * 1 + 121) / 12), 10);
  });

  it('puts the columns in the order the detector lists its features', () => {
    const matrix = buildFeatureMatrix(windowOf([1, 4]), ['diff', 'value']);

    expect(Array.from(matrix.data)).toEqual([0, 1, 3, 4]);
  });

  it('rejects an unknown feature by name, listing the known ones', () => {
    const act = () => buildFeatureMatrix(windowOf([1, 2]), ['value', 'hour' as FeatureName]);

    expect(act).toThrow(InputError);
    expect(act).toThrow(/unknown feature 'hour' \(known: value, diff, deviation, stddev\)/);
  });

  it('knows every feature the config type names', () => {
    expect([...featureNames].sort()).toEqual(['deviation', 'diff', 'stddev', 'value']);
  });

  it('is causal: a point\'s features never change when later points change', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 40 }),
        fc.nat(),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        (values, cut, replacement) => {
          // Prepare: change every point after `cut`
          const k = cut % (values.length - 1);
          const changed = values.map((v, i) => (i > k ? replacement : v));

          // Act
          const before = buildFeatureMatrix(windowOf(values), featureNames);
          const after = buildFeatureMatrix(windowOf(changed), featureNames);

          // Assess
          const width = featureNames.length;
          expect(after.data.subarray(0, (k + 1) * width)).toEqual(before.data.subarray(0, (k + 1) * width));
        },
      ),
      { numRuns: 200 },
    );
  });
});
