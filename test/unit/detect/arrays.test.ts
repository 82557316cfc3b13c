import { describe, expect, it } from 'vitest';
import { lowerBound, movingAverages } from '../../../lib/detect/arrays.js';

describe('lowerBound', () => {
  const sorted = Float64Array.of(1, 2, 2, 4);

  it('finds the first value at least the one asked for', () => {
    expect([0, 1, 2, 3, 4].map((v) => lowerBound(sorted, sorted.length, v))).toEqual([0, 0, 1, 3, 3]);
  });

  it('gives the end when every value is smaller, and searches only before the end given', () => {
    expect(lowerBound(sorted, sorted.length, 5)).toBe(4);
    expect(lowerBound(sorted, 2, 4)).toBe(2);
  });
});

describe('movingAverages', () => {
  it('averages every run of m consecutive values', () => {
    expect(Array.from(movingAverages(Float64Array.of(1, 2, 3, 4, 8), 3))).toEqual([2, 3, 5]);
  });

  it('gives none for fewer than m values', () => {
    expect(movingAverages(Float64Array.of(1, 2), 3)).toHaveLength(0);
  });
});
