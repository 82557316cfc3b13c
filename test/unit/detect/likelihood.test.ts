import { describe, expect, it } from 'vitest';
import { erfc, likelihoodScore, log10UpperTail } from '../../../lib/detect/likelihood.js';

describe('likelihoodScore', () => {
  it('puts a 1-in-100,000 tail at 0.5 and 1 in 10^10 at 1, as HTM\'s log likelihood does', () => {
    // Gaussian upper-tail quantiles: Q(4.264891) = 1e-5, Q(6.361341) = 1e-10
    expect(likelihoodScore(4.264891)).toBeCloseTo(0.5, 4);
    expect(likelihoodScore(6.361341)).toBeCloseTo(1, 4);
    expect(likelihoodScore(20)).toBe(1);
  });

  it('is close to 0 at or below the mean and rises monotonically with z', () => {
    expect(likelihoodScore(0)).toBeCloseTo(0.0301, 3); // -log10(0.5) / 10
    expect(likelihoodScore(-5)).toBeLessThan(1e-6);
    let previous = -1;
    for (let z = -3; z <= 7; z += 0.25) {
      const score = likelihoodScore(z);
      expect(score).toBeGreaterThanOrEqual(previous);
      previous = score;
    }
    expect(likelihoodScore(Number.NaN)).toBe(0);
  });

  it('computes the tail accurately far out (relative error, not absolute)', () => {
    // erfc(3) = 2.209049699858544e-5; Q(8) = 6.22096057427178e-16
    expect(erfc(3) / 2.209049699858544e-5).toBeCloseTo(1, 6);
    expect(log10UpperTail(8)).toBeCloseTo(Math.log10(6.22096057427178e-16), 5);
    expect(Number.isFinite(log10UpperTail(40))).toBe(true);
  });
});
