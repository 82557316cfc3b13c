/**
 * Decimation for charts: a line through 22 000 points draws no better than one through a few
 * thousand on a 1 100-pixel chart, but makes the page large and slow. Per bucket of
 * consecutive rows we keep the first, the last, the lowest and the highest point (the
 * "M4" idea), so every peak and dip a reader could see survives, in time order.
 */

/**
 * Indices of the rows to draw, ascending. `ys` may hold NaN (a gap): NaN rows next to finite
 * ones are kept so a line shows its gaps. With `buckets * 4 >= ys.length` every row is kept.
 */
export function decimateMinMax(ys: ArrayLike<number>, buckets: number): number[] {
  const n = ys.length;
  if (n === 0) return [];
  if (buckets < 1 || buckets * 4 >= n) return Array.from({ length: n }, (_, i) => i);
  const keep = new Set<number>();
  for (let b = 0; b < buckets; b += 1) {
    const from = Math.floor((b * n) / buckets);
    const to = Math.floor(((b + 1) * n) / buckets); // exclusive
    if (to <= from) continue;
    keep.add(from);
    keep.add(to - 1);
    let minAt = -1;
    let maxAt = -1;
    for (let i = from; i < to; i += 1) {
      const y = ys[i] as number;
      if (Number.isNaN(y)) {
        // Keep the edges of a gap so the drawn line breaks where the data does.
        const before = i > 0 ? (ys[i - 1] as number) : Number.NaN;
        const after = i + 1 < n ? (ys[i + 1] as number) : Number.NaN;
        if (!Number.isNaN(before) || !Number.isNaN(after)) keep.add(i);
        continue;
      }
      if (minAt < 0 || y < (ys[minAt] as number)) minAt = i;
      if (maxAt < 0 || y > (ys[maxAt] as number)) maxAt = i;
    }
    if (minAt >= 0) keep.add(minAt);
    if (maxAt >= 0) keep.add(maxAt);
  }
  return [...keep].sort((a, b) => a - b);
}
