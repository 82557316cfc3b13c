import { describe, expect, it } from 'vitest';
import { alignRange, halveRange, splitRange } from '../../../../lib/sources/prometheus/time-range.js';

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

describe('halveRange', () => {
  it('splits at a step boundary into halves that share no point, the first taking the middle one', () => {
    // 11 points: 6 and 5
    expect(halveRange({ startMs: 0, endMs: 600_000 }, 60_000)).toEqual([
      { startMs: 0, endMs: 300_000 },
      { startMs: 360_000, endMs: 600_000 },
    ]);
    // 10 points: 5 and 5
    expect(halveRange({ startMs: 0, endMs: 540_000 }, 60_000)).toEqual([
      { startMs: 0, endMs: 240_000 },
      { startMs: 300_000, endMs: 540_000 },
    ]);
  });

  it('splits two points into one each, and has no halves for a single point', () => {
    expect(halveRange({ startMs: 60_000, endMs: 120_000 }, 60_000)).toEqual([
      { startMs: 60_000, endMs: 60_000 },
      { startMs: 120_000, endMs: 120_000 },
    ]);
    expect(halveRange({ startMs: 60_000, endMs: 60_000 }, 60_000)).toBeUndefined();
  });

  it('halving again and again covers every point of the range exactly once', () => {
    // Prepare: 1,441 points (a day at 60 s), halved down to single points
    const stepMs = 60_000;
    const points: number[] = [];
    const visit = (range: { startMs: number; endMs: number }): void => {
      const halves = halveRange(range, stepMs);
      if (!halves) {
        points.push(range.startMs);
        return;
      }
      for (const half of halves) visit(half);
    };

    // Act
    visit({ startMs: 0, endMs: 1_440 * stepMs });

    // Assess
    expect(points).toEqual(Array.from({ length: 1_441 }, (_, i) => i * stepMs));
  });
});
