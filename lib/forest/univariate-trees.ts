import type { Matrix } from './matrix.js';
import { averagePathLength } from './path-length.js';

/**
 * A forest on one feature, stored as what a tree on a line is: an ordered list of intervals.
 * Tree t has `leafCount[t]` leaves, left to right; leaf k covers (upper[k - 1], upper[k]] and is
 * credited `value[k]` (its depth plus c(its size)). `upper` of the last leaf is +Infinity.
 * Row t of both arrays starts at t * stride.
 *
 * The trees are the ones {@link buildForest} in trees.ts grows from the same seed (same draws,
 * same splits, same order); only the way they are built and walked differs:
 * - fit: the subsample is sorted once per tree, so a node is a range of it, its min and max are
 *   its ends, and a split is a binary search instead of a pass that moves rows;
 * - score: rows are sorted once, and each tree is a merge of sorted rows with its intervals,
 *   O(rows + leaves) per tree instead of O(rows x height), with predictable branches.
 */
export interface UnivariateForest {
  readonly trees: number;
  readonly stride: number;
  readonly leafCount: Int32Array;
  readonly upper: Float64Array;
  readonly value: Float64Array;
  /**
   * When psi = n every tree holds every training row, so the fit already knows each row's
   * path length: the training values as given, and the summed path length of each of their
   * sorted positions. Scoring the training data (the usual call: fit a window, score it) then
   * needs no walk at all. Null when psi < n.
   */
  readonly training: { readonly values: Float64Array; readonly sorted: Float64Array; readonly sums: Float64Array } | null;
}

/** 2^-32: turns a uint32 into [0, 1) by a multiplication, exactly as dividing by 2^32 does. */
const TWO_TO_MINUS_32 = 1 / 4294967296;

/** Grows `trees` trees on subsamples of psi values of `x`. Inputs are validated by the caller. */
export function buildUnivariateForest(x: Float64Array, trees: number, psi: number, seed: number): UnivariateForest {
  const b = new UnivariateBuilder(x, trees, psi, seed);
  for (let t = 0; t < trees; t++) buildTree(b, t);
  const training = b.sums === null ? null : { values: new Float64Array(x), sorted: b.sorted, sums: b.sums };
  return { trees, stride: psi, leafCount: b.leafCount, upper: b.upper, value: b.value, training };
}

/** Per-forest scratch and output, one fixed shape so `buildTree` is optimised once and reused. */
class UnivariateBuilder {
  readonly x: Float64Array;
  readonly rows: number;
  readonly psi: number;
  readonly height: number;
  /**
   * State of the mulberry32 generator of random.ts, carried from tree to tree. Its step is
   * written out inline below (the same stream as `Mulberry32`): a method call returning a
   * double in these loops cost more than the rest of the node's work.
   */
  rngState: number;
  readonly leafCredit: Float64Array;
  /** All values, sorted once per fit; a subsample is a set of ranks into it. */
  readonly sorted: Float64Array;
  /** One bit per rank: the subsample being drawn (cleared again as it is read out). */
  readonly chosen: Int32Array;
  readonly sample: Float64Array;
  readonly stackStart: Int32Array;
  readonly stackEnd: Int32Array;
  readonly stackDepth: Int32Array;
  readonly stackLower: Float64Array;
  readonly leafCount: Int32Array;
  readonly upper: Float64Array;
  readonly value: Float64Array;
  /**
   * psi = n only: each sorted position's path length summed over the trees built so far; a leaf
   * holding positions [start, end) adds its value to each. Tree by tree from 0, the additions a
   * walk makes, so the sums are bit-identical to walking the trees (a difference array, O(1) per
   * leaf, was not: its prefix sums round differently, and a forest read back from a store walks).
   */
  readonly sums: Float64Array | null;

  constructor(x: Float64Array, trees: number, psi: number, seed: number) {
    this.x = x;
    this.rows = x.length;
    this.psi = psi;
    this.height = Math.ceil(Math.log2(psi));
    this.rngState = seed | 0;
    this.leafCredit = new Float64Array(psi + 1);
    for (let size = 0; size <= psi; size++) this.leafCredit[size] = averagePathLength(size);
    this.sorted = new Float64Array(x).sort();
    this.chosen = new Int32Array((this.rows + 31) >>> 5);
    this.sample = new Float64Array(psi);
    const stackSize = 2 * (this.height + 2);
    this.stackStart = new Int32Array(stackSize);
    this.stackEnd = new Int32Array(stackSize);
    this.stackDepth = new Int32Array(stackSize);
    this.stackLower = new Float64Array(stackSize);
    this.leafCount = new Int32Array(trees);
    this.upper = new Float64Array(trees * psi);
    this.value = new Float64Array(trees * psi);
    this.sums = psi === this.rows ? new Float64Array(this.rows) : null;
  }
}

/**
 * Draws psi of the n values without replacement into `b.sample`, in ascending order. Robert
 * Floyd's algorithm picks psi distinct ranks with psi draws and no O(n) shuffle array; a bitmap
 * over ranks, read out word by word, yields them sorted, so no per-tree sort is needed.
 */
function drawSortedSample(b: UnivariateBuilder): void {
  const { sample, psi, sorted, rows, chosen } = b;
  let state = b.rngState;
  for (let j = rows - psi; j < rows; j++) {
    state = (state + 0x6d2b79f5) | 0;
    let z = Math.imul(state ^ (state >>> 15), 1 | state);
    z = (z + Math.imul(z ^ (z >>> 7), 61 | z)) ^ z;
    const r = ((((z ^ (z >>> 14)) >>> 0) * TWO_TO_MINUS_32) * (j + 1)) | 0;
    const pick = (chosen[r >>> 5]! & (1 << (r & 31))) !== 0 ? j : r;
    chosen[pick >>> 5] = chosen[pick >>> 5]! | (1 << (pick & 31));
  }
  b.rngState = state;
  let k = 0;
  for (let w = 0; w < chosen.length; w++) {
    let word = chosen[w]!;
    if (word === 0) continue;
    chosen[w] = 0;
    const base = w << 5;
    while (word !== 0) {
      const lowest = word & -word;
      sample[k++] = sorted[base + 31 - Math.clz32(lowest)]!;
      word ^= lowest;
    }
  }
}

function buildTree(b: UnivariateBuilder, t: number): void {
  // With psi = n every tree's subsample is all the data; nothing moves rows, so share it.
  let sample = b.sorted;
  if (b.psi < b.rows) {
    drawSortedSample(b);
    sample = b.sample;
  }
  const { height, leafCredit, sums, stackStart, stackEnd, stackDepth, stackLower, upper, value } = b;
  const base = t * b.psi;
  let leaves = 0;
  let state = b.rngState;
  // The node being grown: rows [start, end) of the sorted sample, values above `lower`. After a
  // split the loop goes on with the left child directly and stacks only the right one.
  let start = 0;
  let end = b.psi;
  let depth = 0;
  let lower = -Infinity;
  let top = 0;
  for (;;) {
    const lo = sample[start]!;
    const hi = sample[end - 1]!;
    // A leaf: height limit, one row, or all rows equal (end - start <= 1 implies lo === hi).
    if (depth >= height || !(hi > lo)) {
      // Leaves come out left to right (left children first), so this leaf's lower bound is the
      // previous leaf's upper bound.
      if (leaves > 0) upper[base + leaves - 1] = lower;
      const credit = depth + leafCredit[end - start]!;
      value[base + leaves] = credit;
      if (sums !== null) for (let k = start; k < end; k++) sums[k] = sums[k]! + credit;
      leaves++;
      if (top === 0) break;
      top--;
      start = stackStart[top]!;
      end = stackEnd[top]!;
      depth = stackDepth[top]!;
      lower = stackLower[top]!;
      continue;
    }
    state = (state + 0x6d2b79f5) | 0;
    let z = Math.imul(state ^ (state >>> 15), 1 | state);
    z = (z + Math.imul(z ^ (z >>> 7), 61 | z)) ^ z;
    const u = ((z ^ (z >>> 14)) >>> 0) * TWO_TO_MINUS_32;
    let split = lo + (hi - lo) * u;
    if (split >= hi) split = lo;
    // First position in (start, end - 1] whose value is > split (sample[start] = lo <= split
    // and sample[end - 1] = hi > split bracket it). Guess by linear interpolation, then step:
    // a few predictable steps beat a binary search's mispredicted branches on these sizes.
    let left = start + ((u * (end - start)) | 0);
    if (left <= start) left = start + 1;
    else if (left > end - 1) left = end - 1;
    if (sample[left]! > split) {
      while (sample[left - 1]! > split) left--;
    } else {
      left++;
      while (sample[left]! <= split) left++;
    }
    depth++;
    if (depth >= height) {
      // Both children are leaves at the height limit, and adjacent: emit them now instead of
      // stacking one and looping twice.
      if (leaves > 0) upper[base + leaves - 1] = lower;
      const leftCredit = depth + leafCredit[left - start]!;
      const rightCredit = depth + leafCredit[end - left]!;
      value[base + leaves] = leftCredit;
      upper[base + leaves] = split;
      value[base + leaves + 1] = rightCredit;
      if (sums !== null) {
        for (let k = start; k < left; k++) sums[k] = sums[k]! + leftCredit;
        for (let k = left; k < end; k++) sums[k] = sums[k]! + rightCredit;
      }
      leaves += 2;
      if (top === 0) break;
      top--;
      start = stackStart[top]!;
      end = stackEnd[top]!;
      depth = stackDepth[top]!;
      lower = stackLower[top]!;
      continue;
    }
    stackStart[top] = left;
    stackEnd[top] = end;
    stackDepth[top] = depth;
    stackLower[top] = split;
    top++;
    end = left;
  }
  upper[base + leaves - 1] = Infinity;
  b.leafCount[t] = leaves;
  b.rngState = state;
}

/** Adds tree t's path length for each of the sorted distinct values `levels` to `sums`. */
function addTree(forest: UnivariateForest, t: number, levels: Float64Array, count: number, sums: Float64Array): void {
  const { upper, value } = forest;
  const first = t * forest.stride;
  const last = first + forest.leafCount[t]! - 1;
  let i = 0;
  // Leaf by leaf, add its value to the run of sorted levels it covers: two tight loops with
  // predictable branches. The last leaf's upper bound is +Infinity and takes the rest.
  for (let k = first; k < last && i < count; k++) {
    const bound = upper[k]!;
    const credit = value[k]!;
    while (i < count && levels[i]! <= bound) {
      sums[i] = sums[i]! + credit;
      i++;
    }
  }
  const credit = value[last]!;
  for (; i < count; i++) sums[i] = sums[i]! + credit;
}

/** Sum over all trees of each row's path length, for one-column `matrix`. */
export function sumUnivariatePathLengths(forest: UnivariateForest, matrix: Matrix): Float64Array {
  const x = matrix.data;
  const rows = matrix.rows;
  const training = forest.training;
  if (training !== null && sameValues(training.values, x)) {
    // Equal values share a leaf in every tree, so any sorted position of a value has its sums.
    const sums = new Float64Array(rows);
    for (let r = 0; r < rows; r++) sums[r] = training.sums[lowerBound(training.sorted, rows, x[r]!)]!;
    return sums;
  }
  const sorted = new Float64Array(x).sort();
  // Distinct values only: equal rows get equal scores, and metric windows repeat values a lot.
  let count = 0;
  for (let i = 0; i < rows; i++) {
    const v = sorted[i]!;
    if (count === 0 || v !== sorted[count - 1]) sorted[count++] = v;
  }
  const levelSums = new Float64Array(count);
  for (let t = 0; t < forest.trees; t++) addTree(forest, t, sorted, count, levelSums);
  const sums = new Float64Array(rows);
  for (let r = 0; r < rows; r++) sums[r] = levelSums[lowerBound(sorted, count, x[r]!)]!;
  return sums;
}

/** First index in sorted[0, count) whose value is >= v (v is known to be present). */
function lowerBound(sorted: Float64Array, count: number, v: number): number {
  let left = 0;
  let right = count - 1;
  while (left < right) {
    const mid = (left + right) >>> 1;
    if (sorted[mid]! < v) left = mid + 1;
    else right = mid;
  }
  return left;
}

/** Whether two arrays hold the same values in the same order (the training data, unchanged). */
function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
