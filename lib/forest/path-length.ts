/** Euler-Mascheroni constant, as numpy's `np.euler_gamma`. */
const EULER_GAMMA = 0.5772156649015329;

/**
 * c(n): the average path length of an unsuccessful search in a binary search tree of n points
 * (Liu et al. 2008), used to normalise depths and to credit a leaf that still holds n points.
 * Matches scikit-learn's `_average_path_length`: c(n) = 0 for n <= 1, c(2) = 1, otherwise
 * 2 (ln(n - 1) + gamma) - 2 (n - 1) / n.
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}
