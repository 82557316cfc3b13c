/** A series' points as the detection modules use them: finite only, and sub-ranges without copies. */
import type { Series } from '../series/index.js';
import type { WindowPoints } from './features.js';

/** The series' finite points; the same arrays when all are finite (the usual case). */
export function finitePoints(series: Series): { window: WindowPoints; dropped: number } {
  const { timestampsMs, values } = series;
  let finite = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite++;
  if (finite === values.length) return { window: { timestampsMs, values }, dropped: 0 };
  const keptTimes = new Float64Array(finite);
  const keptValues = new Float64Array(finite);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) continue;
    keptTimes[k] = timestampsMs[i]!;
    keptValues[k] = values[i]!;
    k++;
  }
  return { window: { timestampsMs: keptTimes, values: keptValues }, dropped: values.length - finite };
}

/** The points [start, end) of `window`, sharing its arrays. */
export function slicePoints(window: WindowPoints, start: number, end: number): WindowPoints {
  return { timestampsMs: window.timestampsMs.subarray(start, end), values: window.values.subarray(start, end) };
}
