import { ForestInputError } from './errors.js';
import { assertValidMatrix, type Matrix } from './matrix.js';
import { averagePathLength } from './path-length.js';
import { Mulberry32 } from './random.js';

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
 * The trees of a forest, all in flat typed arrays. Tree t owns nodes [t * nodesPerTree, ...).
 * An inner node holds its split feature (>= 0), its threshold (go left when x <= threshold) and
 * the index of its left child; the right child is always left + 1. A leaf holds feature -1 and,
 * in `value`, its depth plus c(size), which is all scoring needs.
 */
interface TreeArrays {
  readonly feature: Int32Array;
  readonly value: Float64Array;
  readonly left: Int32Array;
  readonly nodesPerTree: number;
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
  const arrays = buildTrees(data, trees, psi, seed);
  const features = data.cols;
  const normaliser = trees * averagePathLength(psi);

  return {
    trees,
    sampleSize: psi,
    features,
    score(matrix: Matrix): Float64Array {
      assertValidMatrix(matrix, 'data to score');
      if (matrix.cols !== features) {
        throw new ForestInputError(
          `data to score has ${matrix.cols} columns, the forest was fitted on ${features}`,
        );
      }
      const depthSums = sumDepths(arrays, trees, matrix);
      const scores = new Float64Array(matrix.rows);
      for (let r = 0; r < matrix.rows; r++) scores[r] = Math.pow(2, -depthSums[r]! / normaliser);
      return scores;
    },
  };
}

function buildTrees(data: Matrix, trees: number, psi: number, seed: number): TreeArrays {
  const { rows: n, cols } = data;
  const x = data.data;
  const rng = new Mulberry32(seed);
  const heightLimit = Math.ceil(Math.log2(psi));
  // A binary tree whose leaves each hold at least one of psi points has at most 2 psi - 1 nodes.
  const nodesPerTree = 2 * psi - 1;
  const feature = new Int32Array(trees * nodesPerTree);
  const value = new Float64Array(trees * nodesPerTree);
  const left = new Int32Array(trees * nodesPerTree);

  // c(size) for every leaf size a tree can have, computed once.
  const leafCredit = new Float64Array(psi + 1);
  for (let size = 0; size <= psi; size++) leafCredit[size] = averagePathLength(size);

  // Row order for the subsample: a partial Fisher-Yates shuffle of the first psi entries draws a
  // uniform subset without replacement from any starting order, so the array is never reset.
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // The subsample, column-major (sample[c * psi + i]), partitioned in place as the tree grows:
  // a node's rows are always the contiguous range [start, end).
  const sample = new Float64Array(psi * cols);
  const candidates = new Int32Array(cols);
  // Depth-first work stack; at most heightLimit + 1 entries are pending per level.
  const stackSize = 2 * (heightLimit + 2);
  const stackNode = new Int32Array(stackSize);
  const stackStart = new Int32Array(stackSize);
  const stackEnd = new Int32Array(stackSize);
  const stackDepth = new Int32Array(stackSize);

  for (let t = 0; t < trees; t++) {
    for (let i = 0; i < psi; i++) {
      const j = i + Math.floor(rng.next() * (n - i));
      const chosen = order[j]!;
      order[j] = order[i]!;
      order[i] = chosen;
      for (let c = 0; c < cols; c++) sample[c * psi + i] = x[chosen * cols + c]!;
    }

    const root = t * nodesPerTree;
    let nextNode = root + 1;
    let top = 0;
    stackNode[0] = root;
    stackStart[0] = 0;
    stackEnd[0] = psi;
    stackDepth[0] = 0;
    top = 1;
    while (top > 0) {
      top--;
      const node = stackNode[top]!;
      const start = stackStart[top]!;
      const end = stackEnd[top]!;
      const depth = stackDepth[top]!;
      const size = end - start;
      if (depth >= heightLimit || size <= 1) {
        feature[node] = -1;
        value[node] = depth + leafCredit[size]!;
        continue;
      }

      // Pick a split feature uniformly among those not constant in this node: draw without
      // replacement until one has max > min (scikit-learn redraws constant features the same way).
      let splitFeature = -1;
      let lo = 0;
      let hi = 0;
      for (let c = 0; c < cols; c++) candidates[c] = c;
      let remaining = cols;
      while (remaining > 0) {
        const k = remaining === 1 ? 0 : Math.floor(rng.next() * remaining);
        const f = candidates[k]!;
        const offset = f * psi;
        let min = sample[offset + start]!;
        let max = min;
        for (let i = offset + start + 1; i < offset + end; i++) {
          const v = sample[i]!;
          if (v < min) min = v;
          else if (v > max) max = v;
        }
        if (max > min) {
          splitFeature = f;
          lo = min;
          hi = max;
          break;
        }
        remaining--;
        candidates[k] = candidates[remaining]!;
      }
      if (splitFeature < 0) {
        feature[node] = -1;
        value[node] = depth + leafCredit[size]!;
        continue;
      }

      let threshold = lo + (hi - lo) * rng.next();
      // Rounding can land exactly on max, which would send every row left (scikit-learn does the same).
      if (threshold >= hi) threshold = lo;

      // Hoare-style partition of [start, end) on the split feature, moving whole rows.
      const offset = splitFeature * psi;
      let i = start;
      let j = end - 1;
      while (i <= j) {
        if (sample[offset + i]! <= threshold) {
          i++;
        } else {
          for (let c = 0; c < cols; c++) {
            const a = c * psi + i;
            const b = c * psi + j;
            const tmp = sample[a]!;
            sample[a] = sample[b]!;
            sample[b] = tmp;
          }
          j--;
        }
      }

      const leftChild = nextNode;
      nextNode += 2;
      feature[node] = splitFeature;
      value[node] = threshold;
      left[node] = leftChild;
      stackNode[top] = leftChild + 1;
      stackStart[top] = i;
      stackEnd[top] = end;
      stackDepth[top] = depth + 1;
      top++;
      stackNode[top] = leftChild;
      stackStart[top] = start;
      stackEnd[top] = i;
      stackDepth[top] = depth + 1;
      top++;
    }
  }
  return { feature, value, left, nodesPerTree };
}

/**
 * Sum over trees of each row's path length (edges to its leaf plus the leaf's c(size)).
 * Trees outer, rows inner: one tree's few kilobytes stay in cache while every row walks it.
 */
function sumDepths(arrays: TreeArrays, trees: number, matrix: Matrix): Float64Array {
  const { feature, value, left, nodesPerTree } = arrays;
  const { rows, cols } = matrix;
  const x = matrix.data;
  const sums = new Float64Array(rows);
  for (let t = 0; t < trees; t++) {
    const root = t * nodesPerTree;
    if (cols === 1) {
      for (let r = 0; r < rows; r++) {
        const v = x[r]!;
        let node = root;
        while (feature[node]! >= 0) node = v <= value[node]! ? left[node]! : left[node]! + 1;
        sums[r] = sums[r]! + value[node]!;
      }
    } else {
      for (let r = 0; r < rows; r++) {
        const base = r * cols;
        let node = root;
        let f = feature[node]!;
        while (f >= 0) {
          node = x[base + f]! <= value[node]! ? left[node]! : left[node]! + 1;
          f = feature[node]!;
        }
        sums[r] = sums[r]! + value[node]!;
      }
    }
  }
  return sums;
}
