/**
 * The bytes of one series' stored model: which settings and series it belongs to, then the
 * fitted segment (forest, calibration, precedents: lib/detect/model-codec.ts), exact to the bit.
 * Written when a series refits, read by every run until the next refit.
 *
 *   0  "aidm"  4  format version (u8)  5-7  zero  8  header length (u32 LE)  12  header JSON
 *   then, 8-byte aligned, the fitted segment's bytes
 */
import { decodeModel, encodeModel } from '../detect/model-codec.js';
import type { FittedSegment } from '../detect/fit-segment.js';
import { errorMessage } from '../errors.js';
import { StateFormatError } from './format-error.js';

const magic = [0x61, 0x69, 0x64, 0x6d]; // "aidm"
export const modelFormatVersion = 1;

export interface StoredModel {
  fingerprint: string;
  seriesKey: string;
  fit: FittedSegment;
}

const pad8 = (n: number): number => (n + 7) & ~7;

export function encodeStoredModel(model: StoredModel): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify({ fingerprint: model.fingerprint, seriesKey: model.seriesKey }));
  const fit = encodeModel(model.fit);
  const start = pad8(12 + json.length);
  const bytes = new Uint8Array(start + fit.length);
  bytes.set(magic, 0);
  bytes[4] = modelFormatVersion;
  new DataView(bytes.buffer).setUint32(8, json.length, true);
  bytes.set(json, 12);
  bytes.set(fit, start);
  return bytes;
}

/** The model in `bytes`; StateFormatError when they are not a model of this format version. */
export function decodeStoredModel(bytes: Uint8Array): StoredModel {
  if (bytes.length < 12 || magic.some((b, i) => bytes[i] !== b)) throw new StateFormatError('not a stored model (bad magic bytes)');
  if (bytes[4] !== modelFormatVersion) throw new StateFormatError(`stored model format version ${bytes[4]}, this version reads ${modelFormatVersion}`);
  const jsonLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (12 + jsonLength > bytes.length) throw new StateFormatError('stored model truncated in its header');
  let header: { fingerprint?: unknown; seriesKey?: unknown };
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + jsonLength))) as typeof header;
  } catch (error) {
    throw new StateFormatError('stored model header is not valid JSON', { cause: error });
  }
  if (typeof header.fingerprint !== 'string' || typeof header.seriesKey !== 'string') {
    throw new StateFormatError('stored model header lacks fingerprint or seriesKey');
  }
  let fit: FittedSegment;
  try {
    fit = decodeModel(bytes.subarray(pad8(12 + jsonLength)));
  } catch (error) {
    throw new StateFormatError(`stored model unreadable: ${errorMessage(error)}`, { cause: error });
  }
  return { fingerprint: header.fingerprint, seriesKey: header.seriesKey, fit };
}
