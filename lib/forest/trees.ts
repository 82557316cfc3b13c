import { ForestInputError } from './errors.js';
import type { Matrix } from './matrix.js';
import { averagePathLength } from './path-length.js';

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
  /**
   * When psi = n every tree holds every training row, so the fit already knows each row's
   * summed path length: the training data as given (row-major) and those sums. Scoring the
   * training data (the usual call: fit a window, score it) then walks no tree. Null when psi < n.
   */
  readonly training: { readonly values: Float64Array; readonly sums: Float64Array } | null;
}

/** Above this many bottom slots (trees x 2^h) the arrays would take most of a machine's memory. */
const maxSlots = 2 ** 25;

/**
 * 1 when `condition` holds, else 0. `boolean | 0` compiles to the comparison's flag (setcc), with
 * no branch to mispredict; `+boolean` and `condition ? 1 : 0` measured 1.5-3x slower here, as
 * a branch on a side that random splits make unpredictable. TurboFan inlines this.
 */
function bit(condition: boolean): number {
  return (condition as unknown as number) | 0;
}

/** 2^-32: turns a uint32 into [0, 1) by a multiplication, exactly as dividing by 2^32 does. */
const TWO_TO_MINUS_32 = 1 / 4294967296;

/**
 * Everything one tree build needs, allocated once per forest. A class with a fixed shape, so
 * the per-tree function is optimised once and reused (one big loop in one call would run
 * through on-stack replacement and deoptimise at its exit on every fit).
 */
class Builder {
  /** The training data, row-major; read in place (a node's rows are indexes into it). */
  readonly x: Float64Array;
  readonly rows: number;
  readonly cols: number;
  readonly psi: number;
  readonly height: number;
  readonly inner: number;
  /**
   * State of the mulberry32 generator of random.ts, carried from tree to tree. Its step is
   * written out inline (the same stream as `Mulberry32`): a method call returning a double in
   * these loops cost more than the rest of a node's work.
   */
  rngState: number;
  /** c(size) for every leaf size a tree can have. */
  readonly leafCredit: Float64Array;
  /**
   * Rows, as offsets into `x` (row r is r * cols, so a value is one add away); a partial
   * Fisher-Yates shuffle of the first psi entries draws the subsample.
   */
  readonly order: Int32Array;
  /**
   * The tree's subsample as row offsets into `x`, twice: a node at depth d holds the
   * contiguous range [start, end) of copy d mod 2 (copy p starts at p * psi), and its split
   * writes the indexes out to the same range of the other copy, left rows from the front,
   * right rows from the back. Writing every index to both ends and moving one end on needs no
   * branch on the (unpredictable) side a row falls on, which an in-place swap loop does; and
   * moving one index instead of every feature keeps a split's cost the same for any width.
   */
  readonly index: Int32Array;
  /** psi = n only: [min, max] of each feature over all rows, the root's bounds in every tree. */
  readonly rootBounds: Float64Array | null;
  /**
   * psi = n only: each training row's path length summed over the trees built so far, at the
   * row's offset (r * cols; the slots between are unused).
   */
  readonly sums: Float64Array | null;
  readonly candidates: Int32Array;
  /** Scratch for a leaf pair's credits: [right, left]. */
  readonly pairCredits = new Float64Array(2);
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
    this.rngState = seed | 0;
    this.leafCredit = new Float64Array(psi + 1);
    for (let size = 0; size <= psi; size++) this.leafCredit[size] = averagePathLength(size);
    this.order = new Int32Array(this.rows);
    for (let i = 0; i < this.rows; i++) this.order[i] = i * this.cols;
    this.index = new Int32Array(2 * psi);
    this.sums = psi === this.rows ? new Float64Array(psi * this.cols) : null;
    this.rootBounds = null;
    if (psi === this.rows) {
      const bounds = new Float64Array(2 * this.cols);
      for (let c = 0; c < this.cols; c++) {
        let min = this.x[c]!;
        let max = min;
        for (let r = 1; r < this.rows; r++) {
          const v = this.x[r * this.cols + c]!;
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
        bounds[2 * c] = min;
        bounds[2 * c + 1] = max;
      }
      this.rootBounds = bounds;
    }
    this.candidates = new Int32Array(this.cols);
    const stackSize = this.height + 2;
    this.stackNode = new Int32Array(stackSize);
    this.stackStart = new Int32Array(stackSize);
    this.stackEnd = new Int32Array(stackSize);
    this.stackDepth = new Int32Array(stackSize);
    this.threshold = new Float64Array(trees * this.inner);
    this.feature = new Int32Array(trees * this.inner);
    this.leafValue = new Float64Array(trees * (this.inner + 1));
  }
}

/** Draws tree t's subsample (row indexes) into copy 0 of `b.index`. */
function drawSample(b: Builder): void {
  const { psi, order, rows } = b;
  if (psi < rows) {
    let state = b.rngState;
    for (let i = 0; i < psi; i++) {
      state = (state + 0x6d2b79f5) | 0;
      let z = Math.imul(state ^ (state >>> 15), 1 | state);
      z = (z + Math.imul(z ^ (z >>> 7), 61 | z)) ^ z;
      const j = i + Math.floor(((z ^ (z >>> 14)) >>> 0) * TWO_TO_MINUS_32 * (rows - i));
      const chosen = order[j]!;
      order[j] = order[i]!;
      order[i] = chosen;
    }
    b.rngState = state;
  }
  // psi = n: every row is in the sample; their order does not change the tree's distribution.
  b.index.set(order.subarray(0, psi));
}

/**
 * Records a leaf at heap node `node`, `depth` levels down, holding sample rows [start, end) of
 * copy depth mod 2, and credits those training rows when psi = n.
 */
function setLeaf(b: Builder, treeInner: number, treeLeaves: number, node: number, depth: number, start: number, end: number): void {
  let i = node;
  for (let d = depth; d < b.height; d++) {
    b.threshold[treeInner + i] = Infinity;
    b.feature[treeInner + i] = 0;
    i = 2 * i + 1;
  }
  const credit = depth + b.leafCredit[end - start]!;
  b.leafValue[treeLeaves + i - b.inner] = credit;
  const sums = b.sums;
  if (sums !== null) {
    const index = b.index;
    const base = (depth & 1) * b.psi;
    for (let k = base + start; k < base + end; k++) {
      const id = index[k]!;
      sums[id] = sums[id]! + credit;
    }
  }
}

/**
 * A split whose children are both at the height limit: they are leaves, so no row moves; count
 * the left rows, record both leaves (node `left` and `left + 1`), credit the training rows.
 * The parent's rows are [start, end) of index copy (depth - 1) mod 2, split on feature `f`.
 */
function setLeafPair(
  b: Builder,
  treeLeaves: number,
  left: number,
  depth: number,
  start: number,
  end: number,
  f: number,
  split: number,
): void {
  const { x, index, leafCredit } = b;
  const base = ((depth - 1) & 1) * b.psi;
  let leftSize = 0;
  for (let k = base + start; k < base + end; k++) leftSize += bit(x[index[k]! + f]! <= split);
  const leftCredit = depth + leafCredit[leftSize]!;
  const rightCredit = depth + leafCredit[end - start - leftSize]!;
  const slot = treeLeaves + left - b.inner;
  b.leafValue[slot] = leftCredit;
  b.leafValue[slot + 1] = rightCredit;
  const sums = b.sums;
  if (sums !== null) {
    // Indexed by the comparison bit: the exact credit, without a branch on the row's side.
    const credits = b.pairCredits;
    credits[0] = rightCredit;
    credits[1] = leftCredit;
    for (let k = base + start; k < base + end; k++) {
      const id = index[k]!;
      sums[id] = sums[id]! + credits[bit(x[id + f]! <= split)]!;
    }
  }
}

/** Grows tree t from a fresh subsample (depth first, iterative, the left child first). */
function buildTree(b: Builder, t: number): void {
  drawSample(b);
  const { x, psi, cols, index, rootBounds, height, candidates, stackNode, stackStart, stackEnd, stackDepth, threshold, feature } = b;
  const treeInner = t * b.inner;
  const treeLeaves = t * (b.inner + 1);
  let state = b.rngState;
  let node = 0;
  let start = 0;
  let end = psi;
  let depth = 0;
  let top = 0;
  for (;;) {
    const size = end - start;
    let splitFeature = -1;
    let lo = 0;
    let hi = 0;
    const from = (depth & 1) * psi;
    if (depth < height && size > 1) {
      // Pick a split feature uniformly among those not constant in this node: draw without
      // replacement until one has max > min (scikit-learn redraws constant features the same way).
      for (let c = 0; c < cols; c++) candidates[c] = c;
      let remaining = cols;
      while (remaining > 0) {
        let k = 0;
        if (remaining > 1) {
          state = (state + 0x6d2b79f5) | 0;
          let z = Math.imul(state ^ (state >>> 15), 1 | state);
          z = (z + Math.imul(z ^ (z >>> 7), 61 | z)) ^ z;
          k = Math.floor(((z ^ (z >>> 14)) >>> 0) * TWO_TO_MINUS_32 * remaining);
        }
        const f = candidates[k]!;
        let min = x[index[from + start]! + f]!;
        let max = min;
        if (depth === 0 && rootBounds !== null) {
          min = rootBounds[2 * f]!;
          max = rootBounds[2 * f + 1]!;
        } else {
          for (let i = from + start + 1; i < from + end; i++) {
            // Math.min/max, not `if (v < min)`: in a window's time order values trend, so such
            // a branch is taken unpredictably.
            const v = x[index[i]! + f]!;
            min = Math.min(min, v);
            max = Math.max(max, v);
          }
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
    }
    if (splitFeature < 0) {
      // A leaf: height limit, one row, or every feature constant.
      setLeaf(b, treeInner, treeLeaves, node, depth, start, end);
      if (top === 0) break;
      top--;
      node = stackNode[top]!;
      start = stackStart[top]!;
      end = stackEnd[top]!;
      depth = stackDepth[top]!;
      continue;
    }

    state = (state + 0x6d2b79f5) | 0;
    let z = Math.imul(state ^ (state >>> 15), 1 | state);
    z = (z + Math.imul(z ^ (z >>> 7), 61 | z)) ^ z;
    let split = lo + (hi - lo) * (((z ^ (z >>> 14)) >>> 0) * TWO_TO_MINUS_32);
    // Rounding can land exactly on max, which would send every row left (scikit-learn does the same).
    if (split >= hi) split = lo;
    threshold[treeInner + node] = split;
    feature[treeInner + node] = splitFeature;
    depth++;
    if (depth >= height) {
      setLeafPair(b, treeLeaves, 2 * node + 1, depth, start, end, splitFeature, split);
      if (top === 0) break;
      top--;
      node = stackNode[top]!;
      start = stackStart[top]!;
      end = stackEnd[top]!;
      depth = stackDepth[top]!;
      continue;
    }

    // Partition [start, end) into the other copy: each index is written at both free ends and
    // the end on its side moves on (the last one writes one slot twice).
    const to = (depth & 1) * psi;
    let left = to + start;
    let right = to + end - 1;
    for (let k = from + start; k < from + end; k++) {
      const id = index[k]!;
      index[left] = id;
      index[right] = id;
      const isLeft = bit(x[id + splitFeature]! <= split);
      left += isLeft;
      right += isLeft - 1;
    }
    left -= to;
    // Go on with the left child [start, left); stack the right one [left, end).
    stackNode[top] = 2 * node + 2;
    stackStart[top] = left;
    stackEnd[top] = end;
    stackDepth[top] = depth;
    top++;
    node = 2 * node + 1;
    end = left;
  }
  b.rngState = state;
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
    training: b.sums === null ? null : { values: new Float64Array(data.data), sums: trainingSums(b.sums, data.cols) },
  };
}

/** The builder's per-offset sums, one per training row. */
function trainingSums(wide: Float64Array, cols: number): Float64Array {
  const sums = new Float64Array(wide.length / cols);
  for (let r = 0; r < sums.length; r++) sums[r] = wide[r * cols]!;
  return sums;
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
    // 2i + 1 going left, 2i + 2 going right, from the comparison bit: no branch to mispredict.
    for (let d = 0; d < height; d++) node = 2 * node + 2 - bit(v <= threshold[treeInner + node]!);
    sums[r] = sums[r]! + leafValue[treeLeaves + node]!;
  }
}

/**
 * Adds tree t's path length for every row of row-major `x` with `cols` features to `sums`.
 * Each step of a walk waits for the one before (node -> feature -> value -> compare), so four
 * rows walk side by side: four independent chains keep the CPU busy where one leaves it waiting.
 */
function addTreeMultivariate(forest: ForestArrays, t: number, x: Float64Array, cols: number, sums: Float64Array): void {
  const { threshold, feature, leafValue, height } = forest;
  const inner = 2 ** height - 1;
  const treeInner = t * inner;
  const treeLeaves = t * (inner + 1) - inner;
  const rows = sums.length;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const base0 = r * cols;
    const base1 = base0 + cols;
    const base2 = base1 + cols;
    const base3 = base2 + cols;
    let n0 = 0;
    let n1 = 0;
    let n2 = 0;
    let n3 = 0;
    for (let d = 0; d < height; d++) {
      const k0 = treeInner + n0;
      const k1 = treeInner + n1;
      const k2 = treeInner + n2;
      const k3 = treeInner + n3;
      n0 = 2 * n0 + 2 - bit(x[base0 + feature[k0]!]! <= threshold[k0]!);
      n1 = 2 * n1 + 2 - bit(x[base1 + feature[k1]!]! <= threshold[k1]!);
      n2 = 2 * n2 + 2 - bit(x[base2 + feature[k2]!]! <= threshold[k2]!);
      n3 = 2 * n3 + 2 - bit(x[base3 + feature[k3]!]! <= threshold[k3]!);
    }
    sums[r] = sums[r]! + leafValue[treeLeaves + n0]!;
    sums[r + 1] = sums[r + 1]! + leafValue[treeLeaves + n1]!;
    sums[r + 2] = sums[r + 2]! + leafValue[treeLeaves + n2]!;
    sums[r + 3] = sums[r + 3]! + leafValue[treeLeaves + n3]!;
  }
  for (; r < rows; r++) {
    const base = r * cols;
    let node = 0;
    for (let d = 0; d < height; d++) {
      const k = treeInner + node;
      node = 2 * node + 2 - bit(x[base + feature[k]!]! <= threshold[k]!);
    }
    sums[r] = sums[r]! + leafValue[treeLeaves + node]!;
  }
}

/**
 * Sum over all trees of each row's path length (edges to its leaf plus the leaf's c(size)),
 * walking every tree. Trees outer, rows inner: one tree's few kilobytes stay in cache while
 * every row walks it.
 */
export function sumPathLengths(forest: ForestArrays, matrix: Matrix): Float64Array {
  const sums = new Float64Array(matrix.rows);
  for (let t = 0; t < forest.trees; t++) {
    if (matrix.cols === 1) addTreeUnivariate(forest, t, matrix.data, sums);
    else addTreeMultivariate(forest, t, matrix.data, matrix.cols, sums);
  }
  return sums;
}

/**
 * {@link sumPathLengths}, answered from the fit where it can be (psi = n): the training data
 * unchanged gets the recorded sums as they are; otherwise every row equal to some training row
 * (a subset, another order: a calibration sample of the fitted window) gets that row's recorded
 * sum, since equal values take the same path in every tree, and only the other rows walk. The
 * same sums, added in the same tree order, as walking every row.
 */
export function scorePathLengths(forest: ForestArrays, matrix: Matrix): Float64Array {
  const training = forest.training;
  if (training === null) return sumPathLengths(forest, matrix);
  if (sameValues(training.values, matrix.data)) return new Float64Array(training.sums);
  const { data, rows, cols } = matrix;
  const lookup = trainingLookup(forest, training.values, cols);
  const sums = new Float64Array(rows);
  const missing = new Int32Array(rows);
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let t = lookup.first.get(data[base]!) ?? -1;
    while (t >= 0 && !sameRow(training.values, t * cols, data, base, cols)) t = lookup.next[t]!;
    if (t >= 0) sums[r] = training.sums[t]!;
    else missing[count++] = r;
  }
  if (count === 0) return sums;
  const rest = new Float64Array(count * cols);
  for (let i = 0; i < count; i++) rest.set(data.subarray(missing[i]! * cols, (missing[i]! + 1) * cols), i * cols);
  const walked = sumPathLengths(forest, { data: rest, rows: count, cols });
  for (let i = 0; i < count; i++) sums[missing[i]!] = walked[i]!;
  return sums;
}

/** Training rows by their first value, chained through `next` (-1 ends a chain). */
interface TrainingLookup {
  readonly first: Map<number, number>;
  readonly next: Int32Array;
}

/** Built on the first score that needs it, once per forest. */
const lookups = new WeakMap<ForestArrays, TrainingLookup>();

function trainingLookup(forest: ForestArrays, values: Float64Array, cols: number): TrainingLookup {
  let lookup = lookups.get(forest);
  if (lookup === undefined) {
    const rows = values.length / cols;
    const first = new Map<number, number>();
    const next = new Int32Array(rows);
    // Backwards, so each chain runs in row order (any order would do: equal rows have equal sums).
    for (let t = rows - 1; t >= 0; t--) {
      next[t] = first.get(values[t * cols]!) ?? -1;
      first.set(values[t * cols]!, t);
    }
    lookup = { first, next };
    lookups.set(forest, lookup);
  }
  return lookup;
}

/** Whether a[aBase, aBase + cols) and b[bBase, bBase + cols) hold the same values. */
function sameRow(a: Float64Array, aBase: number, b: Float64Array, bBase: number, cols: number): boolean {
  for (let c = 0; c < cols; c++) if (a[aBase + c] !== b[bBase + c]) return false;
  return true;
}

/** Whether two arrays hold the same values in the same order (the training data, unchanged). */
function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
