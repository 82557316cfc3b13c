/**
 * Turning a forest score into an anomaly score that means the same on every series. A raw
 * Isolation Forest score depends on the series (a noisy series' points all score higher than a
 * smooth one's), so one threshold cannot serve every series. Instead the score of the newest
 * points is compared with the distribution of scores inside the window: z standard deviations
 * above the window's mean score has a Gaussian tail probability Q(z), and the anomaly score is
 * that probability on a log scale, -log10(Q(z)) / 10, capped at 1 (the transform Numenta's HTM
 * detector uses for its anomaly likelihood). 0.5 means "a 1-in-100,000 event"; 1 means 1 in 10^10
 * or rarer. Below the mean the score is close to 0.
 */

/**
 * Complementary error function with a relative error below 1.2e-7 everywhere (Numerical
 * Recipes' erfcc, Chebyshev fit): relative, so the log of a far tail stays accurate.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** log10 of the upper Gaussian tail Q(z) = P(Z > z), accurate far into the tail. */
export function log10UpperTail(z: number): number {
  const x = z / Math.SQRT2;
  if (x < 9) return Math.log10(0.5 * erfc(x));
  // Beyond ~13 sigma exp underflows: use the exponent directly (the prefactor's log is tiny).
  const t = 1 / (1 + 0.5 * x);
  return (-x * x - 1.26551223 + Math.log(t * 0.5)) / Math.LN10;
}

/** Decades of tail probability that make an anomaly score of 1. */
export const scoreDecades = 10;

/** The anomaly score in [0, 1] of a value z standard deviations above the mean. */
export function likelihoodScore(z: number): number {
  if (Number.isNaN(z)) return 0;
  return Math.min(1, Math.max(0, -log10UpperTail(z) / scoreDecades));
}
