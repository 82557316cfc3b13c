import { describe, expect, it } from 'vitest';
import { alignRange, splitRange } from '../../../../lib/sources/prometheus/time-range.js';

describe('alignRange', () => {
  it('floors start and end to a multiple of the step', () => {
    // Act
    const range = alignRange(1_000_017_000, 1_003_643_000, 60);

    // Assess
    expect(range).toEqual({ startMs: 1_000_020_000 - 60_000, endMs: 1_003_620_000, stepMs: 60_000 });
  });

  it('never puts start after end', () => {
    expect(alignRange(125_000, 130_000, 60)).toEqual({ startMs: 120_000, endMs: 120_000, stepMs: 60_000 });
  });
});

describe('splitRange', () => {
  it('keeps a window within the limit in one request', () => {
    expect(splitRange({ startMs: 0, endMs: 10_999_000, stepMs: 1_000 })).toEqual([{ startMs: 0, endMs: 10_999_000 }]);
  });

  it('splits a longer window into requests of at most 11,000 points sharing their boundaries', () => {
    // Act
    const chunks = splitRange({ startMs: 0, endMs: 25_000_000, stepMs: 1_000 });

    // Assess
    expect(chunks).toEqual([
      { startMs: 0, endMs: 10_999_000 },
      { startMs: 10_999_000, endMs: 21_998_000 },
      { startMs: 21_998_000, endMs: 25_000_000 },
    ]);
  });
});
