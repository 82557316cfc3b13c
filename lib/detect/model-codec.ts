/**
 * A fitted segment (lib/detect/fit-segment.ts: the forest and everything the readings judge
 * against) as bytes and back, exactly, for the per-series state a warm run reads instead of
 * refitting: readings against the segment read back equal readings against the one written.
 * `rowScores` is a cache of forest scores and is not written; a segment read back starts with it
 * empty.
 *
 * Format, version 1, little-endian (offsets in bytes):
 *
 *      0  magic "FSEG"                        36  seasonal precedents length (u32), 0 without
 *      4  version (u8) = 1, 3 zero bytes      40  forest length in bytes (u32)
 *      8  checksum32 of the bytes after it,   44  0 (u32)
 *         up to the forest (which checks      48  mean (f64)
 *         itself: lib/forest/codec.ts)        56  spread (f64)
 *     12  seasonal (u32): 0 none, 1 present   64  seasonal spread (f64), 0 without
 *     16  key length, UTF-16 units (u32)      72  calibration, precedents, precedentAverages,
 *     20  features (u32): colMin's length         colMin, colMax, colSpread, seasonal
 *     24  calibration length (u32)                precedents (f64 each); the key (u16 units,
 *     28  precedents length (u32)                 exact for any string), zero-padded to a
 *     32  precedentAverages length (u32)          multiple of 8; the forest's bytes
 */
import { AiopsError } from '../errors.js';
import { checksum32, decodeForest, encodeForest, ForestDecodeError, type IsolationForest } from '../forest/index.js';
import type { FittedSegment } from './fit-segment.js';

/**
 * Bytes that do not read back as a fitted segment: truncated, another format or version,
 * damaged (the forest's own `ForestDecodeError` is the `cause`). A caller that kept the bytes as
 * state treats the model as corrupt and refits.
 */
export class ModelDecodeError extends AiopsError {
  override name = 'ModelDecodeError';
}

const magic = [0x46, 0x53, 0x45, 0x47] as const; // "FSEG"
const version = 1;
const headerBytes = 72;
interface Lengths {
  key: number;
  features: number;
  calibration: number;
  precedents: number;
  precedentAverages: number;
  seasonal: number;
  forest: number;
}

/**
 * Byte offsets of the arrays (calibration, precedents, precedentAverages, colMin, colMax,
 * colSpread, seasonal precedents) with their lengths, of the key and the forest, and the total.
 */
function layout(n: Lengths) {
  const perArray = [n.calibration, n.precedents, n.precedentAverages, n.features, n.features, n.features, n.seasonal];
  const arrays: number[] = [];
  let at = headerBytes;
  for (const length of perArray) {
    arrays.push(at);
    at += 8 * length;
  }
  const key = at;
  const forest = Math.ceil((key + 2 * n.key) / 8) * 8;
  return { arrays, perArray, key, forest, total: forest + n.forest };
}

/**
 * The bytes of `fit`, for {@link decodeModel} to read back. Its forest must be one `fitForest`
 * or `decodeForest` made (`encodeForest` throws a `ForestInputError` otherwise).
 */
export function encodeModel(fit: FittedSegment): Uint8Array {
  const forest = encodeForest(fit.forest);
  const lengths: Lengths = {
    key: fit.key.length,
    features: fit.colMin.length,
    calibration: fit.calibration.length,
    precedents: fit.precedents.length,
    precedentAverages: fit.precedentAverages.length,
    seasonal: fit.seasonal?.precedents.length ?? 0,
    forest: forest.length,
  };
  const at = layout(lengths);
  const bytes = new Uint8Array(at.total);
  bytes.set(magic, 0);
  const view = new DataView(bytes.buffer);
  view.setUint8(4, version);
  const { key: keyLength, features, calibration, precedents, precedentAverages, seasonal, forest: forestLength } = lengths;
  [fit.seasonal ? 1 : 0, keyLength, features, calibration, precedents, precedentAverages, seasonal, forestLength].forEach((value, i) =>
    view.setUint32(12 + 4 * i, value, true),
  );
  view.setFloat64(48, fit.mean, true);
  view.setFloat64(56, fit.spread, true);
  view.setFloat64(64, fit.seasonal?.spread ?? 0, true);
  const arrays = [fit.calibration, fit.precedents, fit.precedentAverages, fit.colMin, fit.colMax, fit.colSpread, fit.seasonal?.precedents];
  arrays.forEach((array, i) => {
    if (array !== undefined) new Float64Array(bytes.buffer, at.arrays[i], array.length).set(array);
  });
  const key = new Uint16Array(bytes.buffer, at.key, keyLength);
  for (let i = 0; i < keyLength; i++) key[i] = fit.key.charCodeAt(i);
  bytes.set(forest, at.forest);
  view.setUint32(8, checksum32(new Int32Array(bytes.buffer, 12, (at.forest - 12) / 4)), true);
  return bytes;
}

/**
 * The fitted segment written as `bytes` by {@link encodeModel}, its arrays copied out of them
 * and `rowScores` empty. Throws a {@link ModelDecodeError} saying what was wrong when the bytes
 * are not that (truncated, too long, another magic or version, damaged), so the caller refits.
 */
export function decodeModel(bytes: Uint8Array): FittedSegment {
  if (bytes.length >= 4 && magic.some((b, i) => bytes[i] !== b)) {
    const found = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new ModelDecodeError(`not model bytes: they start with ${found}, not the magic "FSEG"`);
  }
  if (bytes.length >= 5 && bytes[4] !== version) {
    throw new ModelDecodeError(`model bytes of version ${bytes[4]}, this reader knows version ${version}`);
  }
  if (bytes.length >= 8 && (bytes[5]! | bytes[6]! | bytes[7]!) !== 0) {
    throw new ModelDecodeError('model bytes damaged: bytes 5 to 7 are not zero');
  }
  if (bytes.length < headerBytes) {
    throw new ModelDecodeError(`model bytes truncated: expected at least ${headerBytes}, got ${bytes.length}`);
  }
  // Typed-array views need their element alignment; a Buffer from Node's pool may not have it.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset } = aligned;
  const view = new DataView(buffer, byteOffset, aligned.length);
  const fields = [12, 16, 20, 24, 28, 32, 36, 40].map((offset) => view.getUint32(offset, true));
  const [seasonal, key, features, calibration, precedents, precedentAverages, seasonalLength, forestLength] = fields as [
    number, number, number, number, number, number, number, number,
  ];
  if (seasonal > 1 || (seasonal === 0 && seasonalLength !== 0) || view.getUint32(44, true) !== 0) {
    throw new ModelDecodeError(
      `model bytes damaged: seasonal flag ${seasonal} with ${seasonalLength} seasonal precedents, or bytes 44 to 47 not zero`,
    );
  }
  const at = layout({ key, features, calibration, precedents, precedentAverages, seasonal: seasonalLength, forest: forestLength });
  if (aligned.length !== at.total) {
    throw new ModelDecodeError(`model bytes ${aligned.length < at.total ? 'truncated' : 'too long'}: expected ${at.total}, got ${aligned.length}`);
  }
  const written = view.getUint32(8, true);
  const computed = checksum32(new Int32Array(buffer, byteOffset + 12, (at.forest - 12) / 4));
  if (written !== computed) throw new ModelDecodeError(`model bytes damaged: checksum ${hex(written)}, the bytes give ${hex(computed)}`);
  let forest: IsolationForest;
  try {
    forest = decodeForest(aligned.subarray(at.forest));
  } catch (error) {
    if (error instanceof ForestDecodeError) throw new ModelDecodeError(`model's forest: ${error.message}`, { cause: error });
    throw error;
  }
  if (forest.features !== features) {
    throw new ModelDecodeError(`model bytes damaged: ${features} feature ranges for a forest on ${forest.features} features`);
  }
  // Copies: the caller may reuse its buffer.
  const array = (i: number): Float64Array => new Float64Array(buffer, byteOffset + at.arrays[i]!, at.perArray[i]).slice();
  return {
    key: stringOf(new Uint16Array(buffer, byteOffset + at.key, key)),
    forest,
    mean: view.getFloat64(48, true),
    spread: view.getFloat64(56, true),
    calibration: array(0),
    precedents: array(1),
    precedentAverages: array(2),
    rowScores: new Map(),
    colMin: array(3),
    colMax: array(4),
    colSpread: array(5),
    seasonal: seasonal === 1 ? { spread: view.getFloat64(64, true), precedents: array(6) } : undefined,
  };
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** The string of UTF-16 code units `units`, a chunk at a time (a spread of many would overflow the stack). */
function stringOf(units: Uint16Array): string {
  let text = '';
  for (let i = 0; i < units.length; i += 4096) text += String.fromCharCode(...units.subarray(i, i + 4096));
  return text;
}
