/**
 * Joins the series of one or more `query_range` answers (a long window is asked for in several
 * requests) into Series, one per label set, in order of first appearance. Each added series
 * goes straight into Float64Arrays, so a caller that reads an answer series by series holds the
 * JS objects of one series at a time, never the whole answer twice.
 *
 * Samples at or before the last kept timestamp of their series (the boundary shared by two
 * requests) are dropped; non-finite values are dropped and counted.
 *
 * Each series has one pair of arrays, appended to in place. The first answer's samples take
 * arrays of their own size (one request: no copy, no spare room); when a later answer adds to
 * a series, its arrays grow once to `pointsPerSeries` (the window's points), so a window read
 * in several requests is copied once per series at most, not gathered in pieces and joined.
 */
import { seriesKey, type Labels, type Series } from '../../series/index.js';
import type { MatrixSeries } from './matrix.js';

export interface SeriesJoinerOptions {
  /** Shifts every timestamp (the file source's re-basing). */
  offsetMs?: number;
  /** Keeps a sample by its (shifted) timestamp. */
  keep?: (timestampMs: number) => boolean;
  /** Points a series can have in the window (what its arrays grow to when a second answer adds). */
  pointsPerSeries?: number;
}

export interface SeriesJoiner {
  add(series: MatrixSeries): void;
  /** Distinct label sets added so far. */
  readonly size: number;
  /** The joined series; the joiner is not used afterwards. */
  finish(): Series[];
}

interface Accumulated {
  labels: Labels;
  timestampsMs: Float64Array;
  values: Float64Array;
  /** Samples kept so far: the first `length` entries of the arrays. */
  length: number;
  dropped: number;
  lastMs: number;
}

const empty = new Float64Array(0);

/** A joiner for the answers of one query. */
export function createSeriesJoiner(options: SeriesJoinerOptions = {}): SeriesJoiner {
  const offsetMs = options.offsetMs ?? 0;
  const keep = options.keep;
  const byKey = new Map<string, Accumulated>();

  /** Room for `more` samples after the kept ones. */
  function reserve(acc: Accumulated, more: number): void {
    const needed = acc.length + more;
    if (needed <= acc.values.length) return;
    const capacity = acc.length === 0 ? more : Math.max(needed, options.pointsPerSeries ?? 2 * needed);
    const timestampsMs = new Float64Array(capacity);
    const values = new Float64Array(capacity);
    timestampsMs.set(acc.timestampsMs.subarray(0, acc.length));
    values.set(acc.values.subarray(0, acc.length));
    acc.timestampsMs = timestampsMs;
    acc.values = values;
  }

  return {
    get size() {
      return byKey.size;
    },
    add(s) {
      const key = seriesKey(s.labels);
      let acc = byKey.get(key);
      if (!acc) {
        acc = { labels: s.labels, timestampsMs: empty, values: empty, length: 0, dropped: 0, lastMs: -Infinity };
        byKey.set(key, acc);
      }
      const n = s.timestampsSeconds.length;
      // Only samples after the last kept one count: a repeated answer (all dropped) takes no room.
      let first = 0;
      while (first < n && Math.round((s.timestampsSeconds[first] ?? 0) * 1000) + offsetMs <= acc.lastMs) first++;
      if (first === n) return;
      reserve(acc, n - first);
      for (let i = first; i < n; i++) {
        const ms = Math.round((s.timestampsSeconds[i] ?? 0) * 1000) + offsetMs;
        if (ms <= acc.lastMs || (keep !== undefined && !keep(ms))) continue;
        acc.lastMs = ms;
        // Number() reads Prometheus' "NaN", "+Inf", "-Inf" as NaN and ±Infinity.
        const value = Number(s.values[i]);
        if (!Number.isFinite(value)) {
          acc.dropped++;
          continue;
        }
        acc.timestampsMs[acc.length] = ms;
        acc.values[acc.length] = value;
        acc.length++;
      }
    },
    finish() {
      const joined: Series[] = [];
      for (const acc of byKey.values()) {
        const whole = acc.length === acc.values.length && acc.values !== empty;
        joined.push({
          labels: acc.labels,
          // Spare room is given back: a series ends with arrays of its own length.
          timestampsMs: whole ? acc.timestampsMs : acc.timestampsMs.slice(0, acc.length),
          values: whole ? acc.values : acc.values.slice(0, acc.length),
          droppedNonFinite: acc.dropped,
        });
        acc.timestampsMs = acc.values = empty;
      }
      byKey.clear();
      return joined;
    },
  };
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
