import { fnv1a32, seriesKey, type Labels } from '../series/index.js';

/**
 * The forest seed of one evaluation: a uint32 from the detector name, the series' labels and
 * the window end. The same three always give the same forest, so any run (or backtest row) can
 * be reproduced exactly; the next window gets a fresh seed, so one unlucky forest cannot keep a
 * series silent or noisy run after run.
 */
export function detectionSeed(detector: string, labels: Labels, windowEndMs: number): number {
  // Separators that cannot occur inside the parts keep ("a", "b|c") apart from ("a|b", "c").
  return fnv1a32(`${detector}\u0000${seriesKey(labels)}\u0000${Math.round(windowEndMs)}`);
}
