import { ForestInputError } from './errors.js';
import { assertValidMatrix, type Matrix } from './matrix.js';
import { averagePathLength } from './path-length.js';
import { buildForest, scorePathLengths, type ForestArrays } from './trees.js';
import { buildUnivariateForest, sumUnivariatePathLengths, type UnivariateForest } from './univariate-trees.js';

/** Options of {@link fitForest}; every field is optional. */
export interface ForestOptions {
  /** Number of isolation trees (default 100). */
  trees?: number;
  /** Subsample size per tree before capping at the row count (default 256, at least 2). */
  maxSamples?: number;
  /** PRNG seed, an integer in [0, 2^32) (default 0). Same seed and data give identical scores. */
  seed?: number;
}

/** A fitted Isolation Forest. */
export interface IsolationForest {
  /** Number of trees. */
  readonly trees: number;
  /** psi: rows drawn (without replacement) for each tree, min(maxSamples, n). */
  readonly sampleSize: number;
  /** Number of features (matrix columns) the forest was fitted on, and that `score` expects. */
  readonly features: number;
  /**
   * Liu et al. anomaly score s(x) = 2^(-E[h(x)] / c(psi)) in (0, 1], one per row; higher is more
   * anomalous. scikit-learn's `score_samples` is -s.
   */
  score(data: Matrix): Float64Array;
}

const defaults = { trees: 100, maxSamples: 256, seed: 0 } as const;

function checkInteger(name: string, value: number, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new ForestInputError(`forest option ${name} must be ${range}, got ${String(value)}`);
  }
  return value;
}

/**
 * Fits an Isolation Forest with scikit-learn's semantics (Liu, Ting & Zhou 2008): each tree
 * gets psi = min(maxSamples, n) rows drawn without replacement, grows to height ceil(log2 psi),
 * splits on a feature chosen uniformly among those not constant in the node, at a threshold
 * uniform in [min, max) of that feature in the node. A node whose features are all constant is a
 * leaf. Deterministic for a given seed and data.
 */
export function fitForest(data: Matrix, options: ForestOptions = {}): IsolationForest {
  const trees = checkInteger('trees', options.trees ?? defaults.trees, 1, 1_000_000);
  const maxSamples = checkInteger('maxSamples', options.maxSamples ?? defaults.maxSamples, 2, Number.MAX_SAFE_INTEGER);
  const seed = checkInteger('seed', options.seed ?? defaults.seed, 0, 0xffffffff);
  assertValidMatrix(data, 'training data');
  if (data.rows < 2) {
    throw new ForestInputError(`training data needs at least 2 rows to fit a forest, got ${data.rows}`);
  }
  const psi = Math.min(maxSamples, data.rows);
  // One feature gets its own layout (same trees, faster to build and walk): see univariate-trees.ts.
  const layout: ForestLayout =
    data.cols === 1
      ? { kind: 'univariate', trees: buildUnivariateForest(data.data, trees, psi, seed) }
      : { kind: 'general', trees: buildForest(data, trees, psi, seed) };
  return forestFromParts({ sampleSize: psi, features: data.cols, layout });
}

/** The fitted trees in one of the two layouts. */
export type ForestLayout =
  | { readonly kind: 'univariate'; readonly trees: UnivariateForest }
  | { readonly kind: 'general'; readonly trees: ForestArrays };

/**
 * What a fitted forest is made of, for lib/forest/codec.ts to write and read back: psi, the
 * feature count and the trees. Internal to lib/forest (not exported from index.ts).
 */
export interface ForestParts {
  readonly sampleSize: number;
  readonly features: number;
  readonly layout: ForestLayout;
}

/** A forest over its parts; the parts sit in a private field, out of the public interface. */
class FittedForest implements IsolationForest {
  readonly trees: number;
  readonly sampleSize: number;
  readonly features: number;
  readonly #parts: ForestParts;
  readonly #normaliser: number;

  constructor(parts: ForestParts) {
    this.trees = parts.layout.trees.trees;
    this.sampleSize = parts.sampleSize;
    this.features = parts.features;
    this.#parts = parts;
    this.#normaliser = scoreNormaliser(this.trees, parts.sampleSize);
  }

  static partsOf(forest: IsolationForest): ForestParts | undefined {
    return #parts in forest ? forest.#parts : undefined;
  }

  score(matrix: Matrix): Float64Array {
    assertValidMatrix(matrix, 'data to score');
    if (matrix.cols !== this.features) {
      throw new ForestInputError(`data to score has ${matrix.cols} columns, the forest was fitted on ${this.features}`);
    }
    const { layout } = this.#parts;
    const depthSums =
      layout.kind === 'univariate' ? sumUnivariatePathLengths(layout.trees, matrix) : scorePathLengths(layout.trees, matrix);
    const scores = new Float64Array(matrix.rows);
    for (let r = 0; r < matrix.rows; r++) scores[r] = Math.pow(2, -depthSums[r]! / this.#normaliser);
    return scores;
  }
}

/** trees x c(psi): a row's path length summed over the trees, over this, is E[h(x)] / c(psi). */
export function scoreNormaliser(trees: number, sampleSize: number): number {
  return trees * averagePathLength(sampleSize);
}

/**
 * The forest made of `parts`: how {@link fitForest} returns its trees and how
 * lib/forest/codec.ts rebuilds a forest it reads, so both score the same way.
 */
export function forestFromParts(parts: ForestParts): IsolationForest {
  return new FittedForest(parts);
}

/** The parts of a forest made by {@link fitForest} or {@link forestFromParts}; undefined for any other object. */
export function forestParts(forest: IsolationForest): ForestParts | undefined {
  return FittedForest.partsOf(forest);
}
