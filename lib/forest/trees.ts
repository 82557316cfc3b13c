import { ForestInputError } from './errors.js';
import type { Matrix } from './matrix.js';
import { averagePathLength } from './path-length.js';
import { Mulberry32 } from './random.js';

/**
 * The trees of a forest in flat typed arrays, each tree a complete binary tree of height h in
 * heap order (children of node i are 2i + 1 and 2i + 2), so no child pointers are stored and
 * every walk takes exactly h steps with no leaf test:
 * - `threshold[t * inner + i]`, `feature[...]`: split of inner node i of tree t (go left when
 *   x[feature] <= threshold). A leaf reached above depth h is padded with threshold +Infinity
 *   down its leftmost path, so a walk always continues left to the bottom.
 * - `leafValue[t * 2^h + j]`: path length credited at bottom slot j: the real leaf's depth plus
 *   c(size of the leaf), which is all scoring needs.
 */
export interface ForestArrays {
  readonly trees: number;
  readonly features: number;
  /** Height limit h = ceil(log2 psi). */
  readonly height: number;
  readonly threshold: Float64Array;
  readonly feature: Int32Array;
  readonly leafValue: Float64Array;
}

/** Above this many bottom slots (trees x 2^h) the arrays would take most of a machine's memory. */
const maxSlots = 2 ** 25;

/**
 * Everything one tree build needs, allocated once per forest. A class with a fixed shape, so
 * the per-tree function is optimised once and reused (one big loop in one call would run
 * through on-stack replacement and deoptimise at its exit on every fit).
 */
class Builder {
  readonly x: Float64Array;
  readonly rows: number;
  readonly cols: number;
  readonly psi: number;
  readonly height: number;
  readonly inner: number;
  readonly rng: Mulberry32;
  /** c(size) for every leaf size a tree can have. */
  readonly leafCredit: Float64Array;
  /** Row order; a partial Fisher-Yates shuffle of its first psi entries draws the subsample. */
  readonly order: Int32Array;
  /**
   * The tree's subsample, column-major (sample[c * psi + i]), partitioned in place as the tree
   * grows: a node's rows are always the contiguous range [start, end).
   */
  readonly sample: Float64Array;
  /** The whole data column-major, when psi = n (every tree then starts from a plain copy). */
  readonly allRows: Float64Array | null;
  readonly candidates: Int32Array;
  readonly stackNode: Int32Array;
  readonly stackStart: Int32Array;
  readonly stackEnd: Int32Array;
  readonly stackDepth: Int32Array;
  readonly threshold: Float64Array;
  readonly feature: Int32Array;
  readonly leafValue: Float64Array;

  constructor(data: Matrix, trees: number, psi: number, seed: number) {
    this.x = data.data;
    this.rows = data.rows;
    this.cols = data.cols;
    this.psi = psi;
    this.height = Math.ceil(Math.log2(psi));
    this.inner = 2 ** this.height - 1;
    if (trees * (this.inner + 1) > maxSlots) {
      throw new ForestInputError(
        `forest too large: ${trees} trees of height ${this.height} (maxSamples ${psi}) need more than ${maxSlots} leaves; use fewer trees or a smaller maxSamples`,
      );
    }
    this.rng = new Mulberry32(seed);
    this.leafCredit = new Float64Array(psi + 1);
    for (let size = 0; size <= psi; size++) this.leafCredit[size] = averagePathLength(size);
    this.order = new Int32Array(this.rows);
    for (let i = 0; i < this.rows; i++) this.order[i] = i;
    this.sample = new Float64Array(psi * this.cols);
    if (psi === this.rows) {
      const all = new Float64Array(psi * this.cols);
      for (let i = 0; i < psi; i++) for (let c = 0; c < this.cols; c++) all[c * psi + i] = this.x[i * this.cols + c]!;
      this.allRows = all;
    } else {
      this.allRows = null;
    }
    this.candidates = new Int32Array(this.cols);
    const stackSize = 2 * (this.height + 2);
    this.stackNode = new Int32Array(stackSize);
    this.stackStart = new Int32Array(stackSize);
    this.stackEnd = new Int32Array(stackSize);
    this.stackDepth = new Int32Array(stackSize);
    this.threshold = new Float64Array(trees * this.inner);
    this.feature = new Int32Array(trees * this.inner);
    this.leafValue = new Float64Array(trees * (this.inner + 1));
  }
}

/** Draws tree t's subsample into `b.sample`. */
function drawSample(b: Builder): void {
  const { psi, cols, sample, order, x, rows } = b;
  if (b.allRows !== null) {
    // psi = n: every row is in the sample; their order does not change the tree's distribution.
    sample.set(b.allRows);
    return;
  }
  const rng = b.rng;
  for (let i = 0; i < psi; i++) {
    const j = i + Math.floor(rng.next() * (rows - i));
    const chosen = order[j]!;
    order[j] = order[i]!;
    order[i] = chosen;
    if (cols === 1) {
      sample[i] = x[chosen]!;
    } else {
      for (let c = 0; c < cols; c++) sample[c * psi + i] = x[chosen * cols + c]!;
    }
  }
}

/** Records a leaf at heap node `node`, `depth` levels down, holding `size` sample rows. */
function setLeaf(b: Builder, treeInner: number, treeLeaves: number, node: number, depth: number, size: number): void {
  let i = node;
  for (let d = depth; d < b.height; d++) {
    b.threshold[treeInner + i] = Infinity;
    b.feature[treeInner + i] = 0;
    i = 2 * i + 1;
  }
  b.leafValue[treeLeaves + i - b.inner] = depth + b.leafCredit[size]!;
}

/** Grows tree t from a fresh subsample (depth first, iterative). */
function buildTree(b: Builder, t: number): void {
  drawSample(b);
  const { psi, cols, sample, rng, height, candidates, stackNode, stackStart, stackEnd, stackDepth, threshold, feature } = b;
  const treeInner = t * b.inner;
  const treeLeaves = t * (b.inner + 1);
  stackNode[0] = 0;
  stackStart[0] = 0;
  stackEnd[0] = psi;
  stackDepth[0] = 0;
  let top = 1;
  while (top > 0) {
    top--;
    const node = stackNode[top]!;
    const start = stackStart[top]!;
    const end = stackEnd[top]!;
    const depth = stackDepth[top]!;
    if (depth >= height || end - start <= 1) {
      setLeaf(b, treeInner, treeLeaves, node, depth, end - start);
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
        if (v > max) max = v;
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
      setLeaf(b, treeInner, treeLeaves, node, depth, end - start);
      continue;
    }

    let split = lo + (hi - lo) * rng.next();
    // Rounding can land exactly on max, which would send every row left (scikit-learn does the same).
    if (split >= hi) split = lo;

    // Hoare-style partition of [start, end) on the split feature, moving whole rows.
    const offset = splitFeature * psi;
    let i = start;
    let j = end - 1;
    if (cols === 1) {
      while (i <= j) {
        const v = sample[i]!;
        if (v <= split) {
          i++;
        } else {
          sample[i] = sample[j]!;
          sample[j] = v;
          j--;
        }
      }
    } else {
      while (i <= j) {
        if (sample[offset + i]! <= split) {
          i++;
        } else {
          for (let c = 0; c < cols * psi; c += psi) {
            const tmp = sample[c + i]!;
            sample[c + i] = sample[c + j]!;
            sample[c + j] = tmp;
          }
          j--;
        }
      }
    }

    threshold[treeInner + node] = split;
    feature[treeInner + node] = splitFeature;
    stackNode[top] = 2 * node + 2;
    stackStart[top] = i;
    stackEnd[top] = end;
    stackDepth[top] = depth + 1;
    top++;
    stackNode[top] = 2 * node + 1;
    stackStart[top] = start;
    stackEnd[top] = i;
    stackDepth[top] = depth + 1;
    top++;
  }
}

/** Grows `trees` isolation trees on subsamples of psi rows of `data`. Inputs are validated by the caller. */
export function buildForest(data: Matrix, trees: number, psi: number, seed: number): ForestArrays {
  const b = new Builder(data, trees, psi, seed);
  for (let t = 0; t < trees; t++) buildTree(b, t);
  return {
    trees,
    features: data.cols,
    height: b.height,
    threshold: b.threshold,
    feature: b.feature,
    leafValue: b.leafValue,
  };
}

/** Adds tree t's path length for every row of univariate data `x` to `sums`. */
function addTreeUnivariate(forest: ForestArrays, t: number, x: Float64Array, sums: Float64Array): void {
  const { threshold, leafValue, height } = forest;
  const inner = 2 ** height - 1;
  const treeInner = t * inner;
  const treeLeaves = t * (inner + 1) - inner;
  const rows = sums.length;
  for (let r = 0; r < rows; r++) {
    const v = x[r]!;
    let node = 0;
    for (let d = 0; d < height; d++) node = 2 * node + (v <= threshold[treeInner + node]! ? 1 : 2);
    sums[r] = sums[r]! + leafValue[treeLeaves + node]!;
  }
}

/** Adds tree t's path length for every row of row-major `x` with `cols` features to `sums`. */
function addTreeMultivariate(forest: ForestArrays, t: number, x: Float64Array, cols: number, sums: Float64Array): void {
  const { threshold, feature, leafValue, height } = forest;
  const inner = 2 ** height - 1;
  const treeInner = t * inner;
  const treeLeaves = t * (inner + 1) - inner;
  const rows = sums.length;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let node = 0;
    for (let d = 0; d < height; d++) {
      const k = treeInner + node;
      node = 2 * node + (x[base + feature[k]!]! <= threshold[k]! ? 1 : 2);
    }
    sums[r] = sums[r]! + leafValue[treeLeaves + node]!;
  }
}

/**
 * Sum over all trees of each row's path length (edges to its leaf plus the leaf's c(size)).
 * Trees outer, rows inner: one tree's few kilobytes stay in cache while every row walks it.
 */
export function sumPathLengths(forest: ForestArrays, matrix: Matrix): Float64Array {
  const sums = new Float64Array(matrix.rows);
  for (let t = 0; t < forest.trees; t++) {
    if (matrix.cols === 1) addTreeUnivariate(forest, t, matrix.data, sums);
    else addTreeMultivariate(forest, t, matrix.data, matrix.cols, sums);
  }
  return sums;
}
