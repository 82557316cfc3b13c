/** What one evaluation of one series says (lib/detect/evaluate.ts): too few points, or a score and a decision. */
import type { Labels } from '../series/index.js';

/** What every verdict carries, scored or not. */
export interface VerdictBase {
  labels: Labels;
  seriesKey: string;
  windowEndMs: number;
  /** Finite points in the window (the seed's `points`). */
  points: number;
  /** Newest finite value (the seed's `last`); undefined when the window is empty. */
  last: number | undefined;
  /** Non-finite samples the source dropped plus any found here. */
  droppedNonFinite: number;
}

/** Too few points for a verdict: no score, no alert. The caller logs it. */
export interface InsufficientVerdict extends VerdictBase {
  insufficient: true;
  minPoints: number;
}

/** A scored window and the decision about its newest point. */
export interface ScoredVerdict extends VerdictBase {
  insufficient: false;
  last: number;
  /** Forest seed used (reproduce with the same detector, labels, fit end). */
  seed: number;
  /** Start of the fit end's step (Unix ms): the forest is the same for every window sharing it. */
  fitEndMs: number;
  /** Raw forest scores s(x) in (0, 1] of the newest points scored (oldest first; for charts). */
  scores: Float64Array;
  /**
   * Anomaly score of the newest point in [0, 1] (a log-scale likelihood; see the module
   * comment of lib/detect/evaluate.ts): what the run logs and decides on.
   */
  score: number;
  /**
   * The same, but 0 when one of the `suppressPoints` points before already reached `minScore`:
   * one report per onset, as the alert lifecycle notifies once per incident. The backtest's
   * `anomaly_score` (what NAB scores) is this. Undefined unless asked for (`options.onset`).
   */
  onsetScore: number | undefined;
  /** Raw forest scores of the calibration points (newest first): the distribution `score` is judged against. */
  calibrationScores: Float64Array;
  /** Raw forest score the calibration points' top `contamination` fraction exceeds (0.5 for `auto`). */
  contaminationThreshold: number;
  /** The threshold for `score`: `minScore`. */
  threshold: number;
  /** The seed's meaning, over the calibration points: how many score above the contamination threshold. */
  numAnomalies: number;
  hasAnomaly: boolean;
  /** The decision: the newest point's anomaly score is at least `minScore`. */
  anomalous: boolean;
}

export type SeriesVerdict = InsufficientVerdict | ScoredVerdict;
