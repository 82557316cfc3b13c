/** Small array helpers shared by the detection modules. */

/** The first index in `sorted[0, end)` (ascending) whose value is >= `value`; `end` when none is. */
export function lowerBound(sorted: Float64Array, end: number, value: number): number {
  let lo = 0;
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The means of every `m` consecutive values: element k is the mean of values[k, k + m), so there
 * are values.length - m + 1 of them (none when fewer than m values). Summed oldest first.
 */
export function movingAverages(values: Float64Array, m: number): Float64Array {
  const out = new Float64Array(Math.max(0, values.length - m + 1));
  for (let k = 0; k < out.length; k++) {
    let sum = 0;
    for (let q = k; q < k + m; q++) sum += values[q]!;
    out[k] = sum / m;
  }
  return out;
}
