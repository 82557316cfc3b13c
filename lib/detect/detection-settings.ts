/**
 * What detection needs of a detector, owned here so detect depends on nothing above it: a loaded
 * `DetectorConfig` (lib/config) has every one of these fields and is passed as it is.
 */
import type { FeatureName } from './features.js';

/** What `evaluateSeries` (lib/detect/evaluate.ts) needs of a detector. */
export interface DetectionSettings {
  /** The detector's name: part of every forest seed. */
  name: string;
  windowMinutes: number;
  stepSeconds: number;
  minPoints: number;
  /** `auto` (score > 0.5) or the fraction of a window treated as anomalous, in (0, 0.5]. */
  contamination: 'auto' | number;
  /**
   * The anomaly score (a likelihood on a log scale, see lib/detect/likelihood.ts) at which the
   * newest point counts as anomalous now; also the score after which `suppressPoints` follow.
   */
  minScore: number;
  features: readonly FeatureName[];
  trees: number;
  maxSamples: number;
  /** The forest is refitted every this many steps, each series at its own phase (a hash of its labels). */
  refitEveryPoints: number;
  /** The anomaly score judges the average forest score of this many newest points. */
  smoothPoints: number;
  /** After a point reaches `minScore`, this many following points score 0 (one report per onset). */
  suppressPoints: number;
}
