/**
 * A series' points as the detector state keeps them between runs: the window of the last run,
 * merged with what the next run reads, trimmed to the next window. Pure.
 *
 * A run's window read from the state equals the window a full read would return: the state holds
 * every point of the series inside the window up to the moment its shard was written, and the
 * run re-reads everything from a little before that moment (lib/model/window-read.ts), replacing
 * the overlap. Series the newer read does not return keep their older points, exactly as a full
 * read would return them until they leave the window.
 */
import type { Labels, Series } from '../series/index.js';

/** One series' points in the state. Timestamps ascending, values finite. */
export interface SeriesPoints {
  labels: Labels;
  timestampsMs: Float64Array;
  values: Float64Array;
}

/** Index of the first timestamp >= ms (binary search). */
function firstAtOrAfter(timestampsMs: Float64Array, ms: number): number {
  let lo = 0;
  let hi = timestampsMs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (timestampsMs[mid]! < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The points of `kept` before `readStartMs` followed by every point of `fresh` (read from
 * `readStartMs` on), without those before `windowStartMs`. Either side may be absent.
 */
export function mergePoints(
  kept: SeriesPoints | undefined,
  fresh: Series | undefined,
  readStartMs: number,
  windowStartMs: number,
): SeriesPoints {
  const labels = (fresh ?? kept)!.labels;
  let oldTimes: Float64Array = new Float64Array(0);
  let oldValues: Float64Array = new Float64Array(0);
  if (kept) {
    const from = firstAtOrAfter(kept.timestampsMs, windowStartMs);
    const to = Math.max(from, firstAtOrAfter(kept.timestampsMs, readStartMs));
    oldTimes = kept.timestampsMs.subarray(from, to);
    oldValues = kept.values.subarray(from, to);
  }
  if (!fresh) return { labels, timestampsMs: oldTimes.slice(), values: oldValues.slice() };
  const skip = firstAtOrAfter(fresh.timestampsMs, Math.max(windowStartMs, readStartMs));
  const n = oldTimes.length + fresh.timestampsMs.length - skip;
  const timestampsMs = new Float64Array(n);
  const values = new Float64Array(n);
  timestampsMs.set(oldTimes);
  values.set(oldValues);
  timestampsMs.set(fresh.timestampsMs.subarray(skip), oldTimes.length);
  values.set(fresh.values.subarray(skip), oldTimes.length);
  return { labels, timestampsMs, values };
}

/** The points as the Series a window read returns (dropped non-finite samples of this read only). */
export function toSeries(points: SeriesPoints, droppedNonFinite = 0): Series {
  return { labels: points.labels, timestampsMs: points.timestampsMs, values: points.values, droppedNonFinite };
}
