/**
 * Joins the series of one or more `query_range` answers (a long window is asked for in several
 * requests) into Series, one per label set, in order of first appearance. Each added series
 * goes straight into Float64Arrays, so a caller that reads an answer series by series holds the
 * JS objects of one series at a time, never the whole answer twice.
 *
 * Samples at or before the last kept timestamp of their series (the boundary shared by two
 * requests) are dropped; non-finite values are dropped and counted.
 */
import { seriesKey, type Labels, type Series } from '../../series/index.js';
import type { MatrixSeries } from './matrix.js';

export interface SeriesJoinerOptions {
  /** Shifts every timestamp (the file source's re-basing). */
  offsetMs?: number;
  /** Keeps a sample by its (shifted) timestamp. */
  keep?: (timestampMs: number) => boolean;
}

export interface SeriesJoiner {
  add(series: MatrixSeries): void;
  /** Distinct label sets added so far. */
  readonly size: number;
  /** The joined series; the joiner is not used afterwards. */
  finish(): Series[];
}

interface Piece {
  timestampsMs: Float64Array;
  values: Float64Array;
}

interface Accumulated {
  labels: Labels;
  pieces: Piece[];
  dropped: number;
  lastMs: number;
}

/** A joiner for the answers of one query. */
export function createSeriesJoiner(options: SeriesJoinerOptions = {}): SeriesJoiner {
  const offsetMs = options.offsetMs ?? 0;
  const keep = options.keep;
  const byKey = new Map<string, Accumulated>();
  return {
    get size() {
      return byKey.size;
    },
    add(s) {
      const key = seriesKey(s.labels);
      let acc = byKey.get(key);
      if (!acc) {
        acc = { labels: s.labels, pieces: [], dropped: 0, lastMs: -Infinity };
        byKey.set(key, acc);
      }
      const n = s.timestampsSeconds.length;
      const timestampsMs = new Float64Array(n);
      const values = new Float64Array(n);
      let kept = 0;
      for (let i = 0; i < n; i++) {
        const ms = Math.round((s.timestampsSeconds[i] ?? 0) * 1000) + offsetMs;
        if (ms <= acc.lastMs || (keep !== undefined && !keep(ms))) continue;
        acc.lastMs = ms;
        // Number() reads Prometheus' "NaN", "+Inf", "-Inf" as NaN and ±Infinity.
        const value = Number(s.values[i]);
        if (!Number.isFinite(value)) {
          acc.dropped++;
          continue;
        }
        timestampsMs[kept] = ms;
        values[kept] = value;
        kept++;
      }
      if (kept === n) acc.pieces.push({ timestampsMs, values });
      else if (kept > 0) acc.pieces.push({ timestampsMs: timestampsMs.slice(0, kept), values: values.slice(0, kept) });
    },
    finish() {
      const joined: Series[] = [];
      for (const acc of byKey.values()) {
        joined.push({ labels: acc.labels, ...concat(acc.pieces), droppedNonFinite: acc.dropped });
        // Let go of the pieces as each series is joined: a window read in several requests
        // never holds every series twice (pieces and joined arrays) at once.
        acc.pieces = [];
      }
      byKey.clear();
      return joined;
    },
  };
}

function concat(pieces: readonly Piece[]): Piece {
  if (pieces.length === 1) return pieces[0]!;
  let length = 0;
  for (const piece of pieces) length += piece.values.length;
  const timestampsMs = new Float64Array(length);
  const values = new Float64Array(length);
  let offset = 0;
  for (const piece of pieces) {
    timestampsMs.set(piece.timestampsMs, offset);
    values.set(piece.values, offset);
    offset += piece.values.length;
  }
  return { timestampsMs, values };
}

/**
 * Joins whole answers (chunks of one query, each a list of series) in one call: the file
 * source's recordings, which are small and parsed whole.
 */
export function joinSeries(chunks: readonly MatrixSeries[][], options: SeriesJoinerOptions = {}): Series[] {
  const joiner = createSeriesJoiner(options);
  for (const chunk of chunks) for (const s of chunk) joiner.add(s);
  return joiner.finish();
}
