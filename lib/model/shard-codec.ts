/**
 * The bytes of one state shard: the points of the series whose key hashes to it, and how far
 * the run that wrote it read (`coveredToMs`). Binary, because every run reads and writes every
 * shard: a JSON header (labels, point counts) and then each series' timestamps and values as
 * raw float64, 8-byte aligned, so decoding is a few views and no per-point parsing.
 *
 *   0  "aids" (4 bytes)  4  format version (u8)  5-7  zero
 *   8  header length in bytes (u32, little-endian)  12  header (UTF-8 JSON), zero-padded to 8
 *   then per series in header order: timestamps f64[points], values f64[points]
 */
import type { Labels } from '../series/index.js';
import { StateFormatError } from './format-error.js';
import type { SeriesPoints } from './series-points.js';

const magic = [0x61, 0x69, 0x64, 0x73]; // "aids"
export const shardFormatVersion = 1;

/** One shard as a run reads and writes it. */
export interface Shard {
  /** The detector settings the points were read with (lib/model/fingerprint.ts). */
  fingerprint: string;
  /** End of the window of the run that wrote the shard: it holds every point up to here. */
  coveredToMs: number;
  series: SeriesPoints[];
}

interface Header {
  fingerprint: string;
  coveredToMs: number;
  series: { labels: Labels; points: number }[];
}

const pad8 = (n: number): number => (n + 7) & ~7;

export function encodeShard(shard: Shard): Uint8Array {
  const header: Header = {
    fingerprint: shard.fingerprint,
    coveredToMs: shard.coveredToMs,
    series: shard.series.map((s) => ({ labels: s.labels, points: s.values.length })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = pad8(12 + json.length);
  let total = dataStart;
  for (const s of shard.series) total += 16 * s.values.length;
  const bytes = new Uint8Array(total);
  bytes.set(magic, 0);
  bytes[4] = shardFormatVersion;
  new DataView(bytes.buffer).setUint32(8, json.length, true);
  bytes.set(json, 12);
  const floats = new Float64Array(bytes.buffer, dataStart);
  let at = 0;
  for (const s of shard.series) {
    floats.set(s.timestampsMs, at);
    floats.set(s.values, at + s.values.length);
    at += 2 * s.values.length;
  }
  return bytes;
}

/** The shard in `bytes`; StateFormatError when they are not a shard of this format version. */
export function decodeShard(bytes: Uint8Array): Shard {
  if (bytes.length < 12 || magic.some((b, i) => bytes[i] !== b)) throw new StateFormatError('not a detector state shard (bad magic bytes)');
  if (bytes[4] !== shardFormatVersion) {
    throw new StateFormatError(`state shard format version ${bytes[4]}, this version reads ${shardFormatVersion}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(8, true);
  if (12 + jsonLength > bytes.length) throw new StateFormatError(`state shard truncated: header of ${jsonLength} bytes, ${bytes.length} in all`);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + jsonLength))) as Header;
  } catch (error) {
    throw new StateFormatError('state shard header is not valid JSON', { cause: error });
  }
  if (typeof header.fingerprint !== 'string' || typeof header.coveredToMs !== 'number' || !Array.isArray(header.series)) {
    throw new StateFormatError('state shard header lacks fingerprint, coveredToMs or series');
  }
  const dataStart = pad8(12 + jsonLength);
  let points = 0;
  for (const s of header.series) {
    if (!Number.isInteger(s.points) || s.points < 0 || typeof s.labels !== 'object' || s.labels === null) {
      throw new StateFormatError('state shard header has a malformed series entry');
    }
    points += s.points;
  }
  const expected = dataStart + 16 * points;
  if (bytes.length !== expected) throw new StateFormatError(`state shard truncated: expected ${expected} bytes, got ${bytes.length}`);
  // Float64Array views need an 8-byte aligned offset; bytes read from a file or S3 usually are.
  const aligned = (bytes.byteOffset + dataStart) % 8 === 0 ? bytes : bytes.slice();
  const floats = new Float64Array(aligned.buffer, aligned.byteOffset + dataStart, 2 * points);
  let at = 0;
  const series = header.series.map(({ labels, points: n }) => {
    const timestampsMs = floats.subarray(at, at + n);
    const values = floats.subarray(at + n, at + 2 * n);
    at += 2 * n;
    return { labels, timestampsMs, values };
  });
  return { fingerprint: header.fingerprint, coveredToMs: header.coveredToMs, series };
}
