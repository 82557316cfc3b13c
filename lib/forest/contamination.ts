import { ForestInputError } from './errors.js';

/**
 * The score above which a point is anomalous, as scikit-learn's `offset_` (negated, since we
 * report s and scikit-learn reports -s):
 * - `'auto'`: 0.5 (scikit-learn's offset -0.5);
 * - a fraction c in (0, 0.5]: the (1 - c) quantile of the training scores, interpolated linearly
 *   between order statistics like `np.percentile`, so about a fraction c of training points score
 *   above it.
 * A point is anomalous when its score is strictly greater than the threshold (scikit-learn's
 * `predict` is -1 when `score_samples < offset_`).
 */
export function contaminationThreshold(trainingScores: ArrayLike<number>, contamination: 'auto' | number): number {
  if (contamination === 'auto') return 0.5;
  if (typeof contamination !== 'number' || !(contamination > 0 && contamination <= 0.5)) {
    throw new ForestInputError(`contamination must be 'auto' or a number in (0, 0.5], got ${String(contamination)}`);
  }
  const n = trainingScores.length;
  if (n === 0) throw new ForestInputError('contamination threshold needs at least one training score, got none');
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = trainingScores[i]!;
    if (!Number.isFinite(s)) {
      throw new ForestInputError(`training score ${i} is ${String(s)}, not a finite number`);
    }
    sorted[i] = s;
  }
  sorted.sort();
  // np.percentile's default 'linear' method: position q (n - 1) between order statistics.
  const position = (1 - contamination) * (n - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, n - 1);
  const fraction = position - below;
  const low = sorted[below]!;
  const high = sorted[above]!;
  return low + (high - low) * fraction;
}
