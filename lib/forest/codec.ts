/**
 * A fitted forest as bytes and back, exactly: a forest read back scores every row bit for bit
 * as the one written. For the state a warm run keeps between runs (a model per series, read
 * every run), so the bytes are small and reading them is a few passes over typed arrays: no
 * objects per node, no compression.
 *
 * Format, version 1, little-endian (offsets in bytes):
 *
 *      0  magic "IFOR"                        20  psi (u32)
 *      4  version (u8) = 1, 3 zero bytes      24  features (u32)
 *      8  checksum32 of the bytes after it    28  palette length (u32)
 *     12  layout (u8): 1 general, 2 one       32  threshold count (u32)
 *         feature (isolation-forest.ts)       36  leaf count (u32)
 *     13  feature code width (u8): 0/1/2/4    40  trees x c(psi) as the writer had it (f64)
 *     14  leaf code width (u8): 1/2/4         48  the sections of tree-codec.ts: palette,
 *     15  0 (u8)                                  thresholds (f64), shape (i32), features,
 *     16  trees (u32)                             leaves; each from a multiple of 8, the
 *                                                 total a multiple of 8, padding zero
 *
 * The training-data record of a psi = n fit is not written: the forest read back walks its
 * trees, which give the same sums bit for bit.
 */
import { ForestDecodeError, ForestInputError } from './errors.js';
import { forestFromParts, forestParts, scoreNormaliser, type IsolationForest } from './isolation-forest.js';
import { checksum32 } from './checksum.js';
import { decodeTrees, encodeTrees, maskWords, treeHeight, type Codes, type TreeSections, type TreeShape } from './tree-codec.js';

const magic = [0x49, 0x46, 0x4f, 0x52] as const; // "IFOR"
const version = 1;
const headerBytes = 48;
const layoutCodes = { general: 1, univariate: 2 } as const;
/** As trees.ts: a forest needing more leaf slots than this is no forest a fit makes. */
const maxSlots = 2 ** 25;
/** Typed arrays use the host's byte order; the format is little-endian, as every Node target is. */
const littleEndianHost = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Elements in each section of tree-codec.ts, and the byte widths of the two code sections. */
interface SectionCounts {
  palette: number;
  thresholds: number;
  shape: number;
  featureCodes: number;
  featureWidth: number;
  leafCodes: number;
  leafWidth: number;
}

/** Byte offset of each section, and the total length. */
function sectionOffsets(n: SectionCounts) {
  const align = (bytes: number): number => Math.ceil(bytes / 8) * 8;
  const palette = headerBytes;
  const thresholds = palette + 8 * n.palette;
  const shape = thresholds + 8 * n.thresholds;
  const features = align(shape + 4 * n.shape);
  const leaves = align(features + n.featureWidth * n.featureCodes);
  return { palette, thresholds, shape, features, leaves, total: align(leaves + n.leafWidth * n.leafCodes) };
}

/**
 * The bytes of a forest made by `fitForest` or {@link decodeForest}, for {@link decodeForest} to
 * read back. Throws a `ForestInputError` for any other object.
 */
export function encodeForest(forest: IsolationForest): Uint8Array {
  const parts = forestParts(forest);
  if (parts === undefined) throw new ForestInputError('only a forest made by fitForest or decodeForest can be encoded');
  if (!littleEndianHost) throw new ForestInputError('forest bytes are little-endian; this host is big-endian');
  const { sampleSize, features, layout } = parts;
  checkSlots(layout.kind, forest.trees, sampleSize, (message) => new ForestInputError(message));
  const sections = encodeTrees(layout);
  const { palette, thresholds, shape, features: featureCodes, leaves: leafCodes } = sections;
  const featureWidth = layout.kind === 'general' ? featureCodes.BYTES_PER_ELEMENT : 0;
  const at = sectionOffsets({
    palette: palette.length,
    thresholds: thresholds.length,
    shape: shape.length,
    featureCodes: featureCodes.length,
    featureWidth,
    leafCodes: leafCodes.length,
    leafWidth: leafCodes.BYTES_PER_ELEMENT,
  });
  const bytes = new Uint8Array(at.total);
  bytes.set(magic, 0);
  const view = new DataView(bytes.buffer);
  view.setUint8(4, version);
  view.setUint8(12, layoutCodes[layout.kind]);
  view.setUint8(13, featureWidth);
  view.setUint8(14, leafCodes.BYTES_PER_ELEMENT);
  [forest.trees, sampleSize, features, palette.length, thresholds.length, leafCodes.length].forEach(
    (value, i) => view.setUint32(16 + 4 * i, value, true),
  );
  view.setFloat64(40, scoreNormaliser(forest.trees, sampleSize), true);
  for (const [name, array] of Object.entries(sections) as [keyof TreeSections, TreeSections[keyof TreeSections]][]) {
    bytes.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), at[name]);
  }
  view.setUint32(8, checksum32(new Int32Array(bytes.buffer, 12)), true);
  return bytes;
}

/**
 * The forest written as `bytes` by {@link encodeForest}: it scores every row exactly as the
 * forest written did. Throws a `ForestDecodeError` saying what was wrong when the bytes are
 * not that (truncated, too long, another magic or version, damaged), so the caller can refit.
 */
export function decodeForest(bytes: Uint8Array): IsolationForest {
  if (bytes.length >= 4 && magic.some((b, i) => bytes[i] !== b)) {
    const found = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new ForestDecodeError(`not forest bytes: they start with ${found}, not the magic "IFOR"`);
  }
  if (bytes.length >= 5 && bytes[4] !== version) {
    throw new ForestDecodeError(`forest bytes of version ${bytes[4]}, this reader knows version ${version}`);
  }
  if (bytes.length >= 8 && (bytes[5]! | bytes[6]! | bytes[7]!) !== 0) throw new ForestDecodeError('forest bytes damaged: bytes 5 to 7 are not zero');
  if (bytes.length < headerBytes) throw new ForestDecodeError(`forest bytes truncated: expected at least ${headerBytes}, got ${bytes.length}`);
  if (!littleEndianHost) throw new ForestDecodeError('forest bytes are little-endian; this host is big-endian');
  // Typed-array views need their element alignment; a Buffer from Node's pool may not have it.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset } = aligned;
  const view = new DataView(buffer, byteOffset, aligned.length);
  const header = readHeader(view);
  const { kind, trees, sampleSize, features } = header;
  checkSlots(kind, trees, sampleSize, (message) => new ForestDecodeError(message));
  const at = sectionOffsets(header);
  if (aligned.length !== at.total) {
    throw new ForestDecodeError(`forest bytes ${aligned.length < at.total ? 'truncated' : 'too long'}: expected ${at.total}, got ${aligned.length}`);
  }
  const written = view.getUint32(8, true);
  const computed = checksum32(new Int32Array(buffer, byteOffset + 12, at.total / 4 - 3));
  if (written !== computed) throw new ForestDecodeError(`forest bytes damaged: checksum ${hex(written)}, the bytes give ${hex(computed)}`);
  const normaliser = scoreNormaliser(trees, sampleSize);
  if (view.getFloat64(40, true) !== normaliser) {
    // c(psi) takes a logarithm: a runtime whose Math.log rounds differently would score differently.
    throw new ForestDecodeError(`forest bytes written where trees x c(psi) was ${view.getFloat64(40, true)}, here it is ${normaliser}`);
  }
  const sections: TreeSections = {
    palette: new Float64Array(buffer, byteOffset + at.palette, header.palette),
    thresholds: new Float64Array(buffer, byteOffset + at.thresholds, header.thresholds),
    shape: new Int32Array(buffer, byteOffset + at.shape, header.shape),
    features: codeView(buffer, byteOffset + at.features, header.featureCodes, header.featureWidth),
    leaves: codeView(buffer, byteOffset + at.leaves, header.leafCodes, header.leafWidth),
  };
  for (const v of sections.palette) {
    if (!(v >= 0 && v < Infinity)) throw new ForestDecodeError(`forest leaf value ${v} is not a path length`);
  }
  return forestFromParts({ sampleSize, features, layout: decodeTrees({ kind, trees, sampleSize, features }, sections) });
}

/** The header's fields and the section counts they imply; throws a `ForestDecodeError` at the first that cannot be. */
function readHeader(view: DataView): TreeShape & SectionCounts {
  const layoutCode = view.getUint8(12);
  const featureWidth = view.getUint8(13);
  const leafWidth = view.getUint8(14);
  const [trees, sampleSize, features, palette, thresholds, leafCodes] = [16, 20, 24, 28, 32, 36].map((at) => view.getUint32(at, true)) as [number, number, number, number, number, number];
  const kind = layoutCode === layoutCodes.general ? 'general' : layoutCode === layoutCodes.univariate ? 'univariate' : null;
  const widths = kind === 'general' ? [1, 2, 4] : [0];
  let problem: string | null = null;
  if (kind === null) problem = `layout ${layoutCode} is neither 1 (general) nor 2 (one feature)`;
  else if (!widths.includes(featureWidth) || ![1, 2, 4].includes(leafWidth)) problem = `code widths ${featureWidth} and ${leafWidth} bytes`;
  else if (view.getUint8(15) !== 0) problem = 'byte 15 is not zero';
  else if (trees < 1 || sampleSize < 2 || features < 1) problem = `a forest of ${trees} trees at psi ${sampleSize} on ${features} features`;
  else if (kind === 'univariate' && features !== 1) problem = `the one-feature layout with ${features} features`;
  if (problem !== null || kind === null) throw new ForestDecodeError(`forest bytes damaged: ${problem}`);
  const shape = kind === 'general' ? trees * 3 * maskWords(treeHeight(sampleSize)) : trees;
  const featureCodes = kind === 'general' ? thresholds : 0;
  return { kind, trees, sampleSize, features, palette, thresholds, shape, featureCodes, featureWidth, leafCodes, leafWidth };
}

function codeView(buffer: ArrayBufferLike, at: number, count: number, width: number): Codes {
  if (width === 1 || width === 0) return new Uint8Array(buffer, at, count);
  if (width === 2) return new Uint16Array(buffer, at, count);
  return new Uint32Array(buffer, at, count);
}

/** Refuses a forest needing more leaf slots than any fit makes, before anything that size is allocated. */
function checkSlots(kind: TreeShape['kind'], trees: number, sampleSize: number, error: (message: string) => Error): void {
  const perTree = kind === 'general' ? 2 ** treeHeight(sampleSize) : sampleSize;
  if (trees * perTree > maxSlots) {
    throw error(`forest of ${trees} trees at psi ${sampleSize} needs ${trees * perTree} leaf slots, more than ${maxSlots}`);
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
