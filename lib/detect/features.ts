/**
 * Features: what the forest sees of each point of a window. One definition per name; adding a
 * feature (rolling statistics, time of day, ...) is one entry in `featureDefinitions`, and both
 * the scheduled run and the backtest get it, because both build their matrix here.
 */
import { InputError } from '../errors.js';
import type { Matrix } from '../forest/index.js';

/** The points of one window, oldest first. Timestamps are Unix milliseconds. */
export interface WindowPoints {
  readonly timestampsMs: Float64Array;
  readonly values: Float64Array;
}

/** How one feature is computed for every point of a window. */
export interface FeatureDefinition {
  /** One line for docs/detection.md and `--help`. */
  readonly description: string;
  /**
   * Writes the feature of every point into `out` (same length as the window). Point i may only
   * use points 0..i of the window: the newest point's features never depend on anything later,
   * and a window never looks outside itself, so a backtest that replays windows gets exactly the
   * features the scheduled run computed.
   */
  compute(window: WindowPoints, out: Float64Array): void;
}

/**
 * Points the rolling features look back over (one hour at a 5-minute step, 12 minutes at 1
 * minute). Near the start of a window fewer points are available and the statistic uses those.
 */
export const rollingPoints = 12;

/** Rolling mean deviation or standard deviation over {@link rollingPoints}, causal. */
function rolling(values: Float64Array, out: Float64Array, kind: 'deviation' | 'stddev'): void {
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    sum += v;
    sumSquares += v * v;
    if (i >= rollingPoints) {
      const old = values[i - rollingPoints]!;
      sum -= old;
      sumSquares -= old * old;
    }
    const count = Math.min(i + 1, rollingPoints);
    const mean = sum / count;
    out[i] = kind === 'deviation' ? v - mean : Math.sqrt(Math.max(0, sumSquares / count - mean * mean));
  }
}

/**
 * Every feature the detector knows. Isolation Forest splits one feature at a time at a uniform
 * point between that feature's min and max in the node, so features need no scaling.
 */
export const featureDefinitions = {
  value: {
    description: 'the value itself',
    compute(window, out) {
      out.set(window.values);
    },
  },
  diff: {
    description:
      'first difference: value minus the previous value in the window (0 for the oldest point, which has none)',
    compute(window, out) {
      const { values } = window;
      const n = values.length;
      if (n === 0) return;
      // The oldest point has no predecessor in the window. 0 ("no change") is the middle of a
      // steady series' difference distribution, so that point is neither isolated nor hidden,
      // and every point keeps a score (points and num_anomalies keep the seed's meaning).
      out[0] = 0;
      for (let i = 1; i < n; i++) out[i] = values[i]! - values[i - 1]!;
    },
  },
  deviation: {
    description: `value minus the mean of the last ${rollingPoints} points (itself included): a level change or spike against the recent level`,
    compute(window, out) {
      rolling(window.values, out, 'deviation');
    },
  },
  stddev: {
    description: `standard deviation of the last ${rollingPoints} points (itself included): a change in noise`,
    compute(window, out) {
      rolling(window.values, out, 'stddev');
    },
  },
} satisfies Readonly<Record<string, FeatureDefinition>>;

/** The name of a feature: one key of {@link featureDefinitions}. Detectors' `features` list these. */
export type FeatureName = keyof typeof featureDefinitions;

/** Names of every known feature, in a stable order (for the config schema and docs). */
export const featureNames = Object.keys(featureDefinitions) as FeatureName[];

/**
 * Builds the forest's input for a window: one row per point (oldest first), one column per
 * feature in the order given. The caller guarantees finite values; an unknown name throws.
 */
export function buildFeatureMatrix(window: WindowPoints, features: readonly FeatureName[]): Matrix {
  const rows = window.values.length;
  const cols = features.length;
  const data = new Float64Array(rows * cols);
  const column = new Float64Array(rows);
  for (let c = 0; c < cols; c++) {
    const name = features[c]!;
    const definition = featureDefinitions[name];
    if (definition === undefined) {
      throw new InputError(`unknown feature '${String(name)}' (known: ${featureNames.join(', ')})`);
    }
    definition.compute(window, column);
    for (let r = 0; r < rows; r++) data[r * cols + c] = column[r]!;
  }
  return { data, rows, cols };
}
