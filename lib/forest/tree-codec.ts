/**
 * The trees of a fitted forest as the flat sections lib/forest/codec.ts writes, and back: only
 * what a walk can reach, every value bit for bit, and reading is a few passes of typed-array
 * writes with no branch on the data (a preorder walk of the same nodes, a third smaller, took
 * three times as long to read: which kind of node comes next is a coin toss to the CPU).
 */
import { ForestDecodeError } from './errors.js';
import type { ForestLayout } from './isolation-forest.js';
import type { ForestArrays } from './trees.js';
import type { UnivariateForest } from './univariate-trees.js';

/** An array of small unsigned integers, in the narrowest width that holds them. */
export type Codes = Uint8Array | Uint16Array | Uint32Array;

/** The sections of one forest's trees. */
export interface TreeSections {
  /** The distinct leaf values (depth + c(size): a few dozen in a forest), in order of first use. */
  readonly palette: Float64Array;
  /** General: each split's threshold, trees in order, nodes in heap order. One feature: each leaf's upper bound but the last (+Infinity). */
  readonly thresholds: Float64Array;
  /**
   * General: per tree, three bitmasks of {@link maskWords} words each: the split nodes, the
   * padded nodes (threshold +Infinity: a leaf above the height limit and the path below it, see
   * trees.ts) and the bottom slots holding a leaf's value. One feature: each tree's leaf count.
   */
  readonly shape: Int32Array;
  /** General: each split's feature, in the order of `thresholds`. One feature: empty. */
  readonly features: Codes;
  /** Each leaf's index into `palette`: general by bottom slot, one feature left to right. */
  readonly leaves: Codes;
}

/** Words of one bitmask over the inner nodes or the bottom slots of a tree of `height` (2^height bits). */
export function maskWords(height: number): number {
  return Math.ceil(2 ** height / 32);
}

/** The tree height fitForest uses for psi (trees.ts, Builder). */
export function treeHeight(sampleSize: number): number {
  return Math.ceil(Math.log2(sampleSize));
}

/** Distinct leaf values in order of first use, each with its index. */
class Palette {
  readonly values: number[] = [];
  readonly #index = new Map<number, number>();

  /** The index of `value` (a leaf value: finite, never -0, so Map's equality is bit equality). */
  indexOf(value: number): number {
    let i = this.#index.get(value);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      this.#index.set(value, i);
    }
    return i;
  }
}

/** `codes` in the narrowest unsigned array that holds values below `symbols`. */
function narrow(codes: ArrayLike<number>, symbols: number): Codes {
  if (symbols <= 2 ** 8) return Uint8Array.from(codes);
  if (symbols <= 2 ** 16) return Uint16Array.from(codes);
  return Uint32Array.from(codes);
}

/** The sections of `layout`'s trees. */
export function encodeTrees(layout: ForestLayout): TreeSections {
  return layout.kind === 'general' ? encodeGeneral(layout.trees) : encodeUnivariate(layout.trees);
}

function encodeGeneral(forest: ForestArrays): TreeSections {
  const { trees, features: featureCount, height, threshold, feature, leafValue } = forest;
  const inner = 2 ** height - 1;
  const words = maskWords(height);
  const palette = new Palette();
  const shape = new Int32Array(trees * 3 * words);
  const thresholds = new Float64Array(trees * inner);
  const features = new Uint32Array(trees * inner);
  const leaves = new Uint32Array(trees * (inner + 1));
  let j = 0;
  let l = 0;
  // Which nodes a walk reaches, in heap order (parents first): the root; both children of a
  // split; the left child of a padded node (the walk goes on left to the bottom).
  const reached = new Uint8Array(2 * inner + 1);
  for (let t = 0; t < trees; t++) {
    const treeInner = t * inner;
    const masks = t * 3 * words;
    reached.fill(0);
    reached[0] = 1;
    for (let k = 0; k < inner; k++) {
      if (reached[k] === 0) continue;
      const bit = 1 << (k & 31);
      if (threshold[treeInner + k] === Infinity) {
        // A split's threshold is never +Infinity: trees.ts moves one that rounds up to the max down to the min.
        shape[masks + words + (k >>> 5)]! |= bit;
        reached[2 * k + 1] = 1;
      } else {
        shape[masks + (k >>> 5)]! |= bit;
        thresholds[j] = threshold[treeInner + k]!;
        features[j++] = feature[treeInner + k]!;
        reached[2 * k + 1] = 1;
        reached[2 * k + 2] = 1;
      }
    }
    for (let slot = 0; slot <= inner; slot++) {
      if (reached[inner + slot] === 0) continue;
      shape[masks + 2 * words + (slot >>> 5)]! |= 1 << (slot & 31);
      leaves[l++] = palette.indexOf(leafValue[t * (inner + 1) + slot]!);
    }
  }
  return {
    palette: Float64Array.from(palette.values),
    thresholds: thresholds.slice(0, j),
    shape,
    features: narrow(features.subarray(0, j), featureCount),
    leaves: narrow(leaves.subarray(0, l), palette.values.length),
  };
}

function encodeUnivariate(forest: UnivariateForest): TreeSections {
  const { trees, stride, leafCount, upper, value } = forest;
  const palette = new Palette();
  const thresholds: number[] = [];
  const leaves: number[] = [];
  for (let t = 0; t < trees; t++) {
    const first = t * stride;
    const count = leafCount[t]!;
    for (let k = 0; k < count; k++) leaves.push(palette.indexOf(value[first + k]!));
    // The last leaf's upper bound is +Infinity, restored on reading.
    for (let k = 0; k < count - 1; k++) thresholds.push(upper[first + k]!);
  }
  return {
    palette: Float64Array.from(palette.values),
    thresholds: Float64Array.from(thresholds),
    shape: Int32Array.from(leafCount),
    features: new Uint8Array(0),
    leaves: narrow(leaves, palette.values.length),
  };
}

/** What the header says about the trees. */
export interface TreeShape {
  readonly kind: ForestLayout['kind'];
  readonly trees: number;
  readonly sampleSize: number;
  readonly features: number;
}

/**
 * The trees written as `sections`, in the layout a fit of `shape` builds, arrays and all (what a
 * walk cannot reach stays 0, as in a fit). Every write lands inside its tree whatever the bytes
 * say; sections that do not add up throw a {@link ForestDecodeError}.
 */
export function decodeTrees(shape: TreeShape, sections: TreeSections): ForestLayout {
  return shape.kind === 'general'
    ? { kind: 'general', trees: decodeGeneral(shape, sections) }
    : { kind: 'univariate', trees: decodeUnivariate(shape, sections) };
}

function decodeGeneral({ trees, sampleSize, features: featureCount }: TreeShape, sections: TreeSections): ForestArrays {
  const { palette, thresholds, shape, features, leaves } = sections;
  const height = treeHeight(sampleSize);
  const inner = 2 ** height - 1;
  const words = maskWords(height);
  // The last mask word of a tree may have bits past its 2^height - 1 inner nodes (or 2^height
  // slots); any set there is damage, and a write there would land in the next tree.
  const innerTail = inner % 32 === 0 ? 0 : ~0 << inner % 32;
  const slotTail = (inner + 1) % 32 === 0 ? 0 : ~0 << (inner + 1) % 32;
  const threshold = new Float64Array(trees * inner);
  const feature = new Int32Array(trees * inner);
  const leafValue = new Float64Array(trees * (inner + 1));
  let j = 0;
  let l = 0;
  for (let t = 0; t < trees; t++) {
    const treeInner = t * inner;
    const treeLeaves = t * (inner + 1);
    const masks = t * 3 * words;
    if ((shape[masks + words - 1]! & innerTail) !== 0 || (shape[masks + 2 * words - 1]! & innerTail) !== 0 || (shape[masks + 3 * words - 1]! & slotTail) !== 0) {
      throw new ForestDecodeError(`forest tree ${t} marks nodes past its ${inner} inner nodes`);
    }
    // Set bits lowest first: the node is the bit's index, 31 - clz32 of the bit alone.
    for (let w = 0; w < words; w++) {
      const base = treeInner + (w << 5) + 31;
      for (let word = shape[masks + w]!; word !== 0; word &= word - 1) {
        const k = base - Math.clz32(word & -word);
        threshold[k] = thresholds[j]!;
        feature[k] = features[j]!;
        j++;
      }
      for (let word = shape[masks + words + w]!; word !== 0; word &= word - 1) threshold[base - Math.clz32(word & -word)] = Infinity;
      const slots = treeLeaves + (w << 5) + 31;
      for (let word = shape[masks + 2 * words + w]!; word !== 0; word &= word - 1) {
        leafValue[slots - Math.clz32(word & -word)] = palette[leaves[l]!]!;
        l++;
      }
    }
  }
  // Past the end of a section an index reads undefined; the counts catch it here, before any use.
  if (j !== thresholds.length || l !== leaves.length) {
    throw new ForestDecodeError(`forest masks mark ${j} splits and ${l} leaves, the bytes hold ${thresholds.length} and ${leaves.length}`);
  }
  for (let i = 0; i < features.length; i++) {
    if (features[i]! >= featureCount) throw new ForestDecodeError(`forest split ${i} is on feature ${features[i]}, of ${featureCount}`);
  }
  checkLeafCodes(leaves, palette.length);
  return { trees, features: featureCount, height, threshold, feature, leafValue, training: null };
}

function decodeUnivariate({ trees, sampleSize: stride }: TreeShape, sections: TreeSections): UnivariateForest {
  const { palette, thresholds, shape, leaves } = sections;
  const leafCount = Int32Array.from(shape);
  let total = 0;
  for (let t = 0; t < trees; t++) {
    const count = leafCount[t]!;
    if (count < 1 || count > stride) throw new ForestDecodeError(`forest tree ${t} has ${count} leaves, not 1 to ${stride}`);
    total += count;
  }
  if (total !== leaves.length || total - trees !== thresholds.length) {
    throw new ForestDecodeError(`forest trees have ${total} leaves, the bytes ${leaves.length} leaf codes and ${thresholds.length} bounds`);
  }
  checkLeafCodes(leaves, palette.length);
  const upper = new Float64Array(trees * stride);
  const value = new Float64Array(trees * stride);
  let j = 0;
  let l = 0;
  for (let t = 0; t < trees; t++) {
    const first = t * stride;
    const count = leafCount[t]!;
    upper.set(thresholds.subarray(j, j + count - 1), first);
    upper[first + count - 1] = Infinity;
    j += count - 1;
    for (let k = 0; k < count; k++) value[first + k] = palette[leaves[l++]!]!;
  }
  return { trees, stride, leafCount, upper, value, training: null };
}

function checkLeafCodes(leaves: Codes, paletteLength: number): void {
  for (let i = 0; i < leaves.length; i++) {
    if (leaves[i]! >= paletteLength) throw new ForestDecodeError(`forest leaf ${i} has value ${leaves[i]}, of ${paletteLength}`);
  }
}
