/**
 * Precedents (step 3 of lib/detect/evaluate.ts): which rows of the fit segment count as earlier
 * occurrences of a reading, and how their number caps the reading's score.
 */
import { lowerBound } from './arrays.js';
import { rollingPoints } from './features.js';
import { scoreDecades } from './likelihood.js';

/**
 * Precedents: points of the fit segment whose forest score reached a reading (the single-point
 * score, or for the smoothed reading the average of `smoothPoints` consecutive points). A reading
 * with more than this many precedents is capped: it is no rarer than the fraction of the
 * segment's points beyond these that reached it, p = (precedents - allowedPrecedents) / points,
 * so its score is at most -log10(p) / 10 (about 0.31 for one too many in a one-day window:
 * below any sensible minScore). A first occurrence has none and keeps its Gaussian-tail score. NAB
 * (bench/nab/RESULTS.md, third round): 0 allowed loses windows, 3 is the best measured.
 */
export const allowedPrecedents = 3;

/**
 * The newest points of the segment are not precedents: an incident that began minutes ago must
 * not make itself normal (a sustained level shift would resolve and fire again), while a spike
 * that also happened two hours ago has that one as precedent.
 */
export const precedentGapPoints = 100;

/** Most segment points scored as possible precedents (the newest ones before the gap). */
export const precedentPoints = 2048;

/**
 * The segment rows (of `rows`) that are precedents, newest first: from
 * {@link precedentGapPoints} back, at most {@link precedentPoints}, and not the segment's oldest
 * rows, whose rolling features saw fewer than rollingPoints points (their odd features isolate
 * them: they would be precedents of every reading).
 */
export function precedentRows(rows: number): Int32Array {
  const eligible = Math.max(1, rows - (rollingPoints - 1));
  const first = Math.min(precedentGapPoints, eligible - 1);
  const count = Math.min(eligible, precedentPoints) - first;
  return Int32Array.from({ length: count }, (_, i) => rows - 1 - first - i);
}

/**
 * A reading's likelihood score capped by its precedents in `sorted` (ascending): see
 * {@link allowedPrecedents}.
 */
export function capByPrecedents(score: number, reading: number, sorted: Float64Array): number {
  const beyondAllowed = sorted.length - lowerBound(sorted, sorted.length, reading) - allowedPrecedents;
  if (beyondAllowed <= 0) return score;
  return Math.min(score, -Math.log10(beyondAllowed / sorted.length) / scoreDecades);
}
