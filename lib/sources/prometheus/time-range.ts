/**
 * Window arithmetic for `query_range`: bounds aligned to the step (so successive runs ask for
 * the same grid and Prometheus' results cache can help) and long windows split under the
 * server's limit of 11,000 points per series.
 */

/** Prometheus rejects `(end - start) / step > 11000` ("exceeded maximum resolution"). */
export const maxPointsPerRequest = 11_000;

export interface AlignedRange {
  startMs: number;
  endMs: number;
  stepMs: number;
}

/** Start and end floored to a multiple of the step (Unix epoch based, like Prometheus' own grid). */
export function alignRange(startMs: number, endMs: number, stepSeconds: number): AlignedRange {
  const stepMs = Math.max(1, Math.round(stepSeconds * 1000));
  const alignedEnd = Math.floor(endMs / stepMs) * stepMs;
  const alignedStart = Math.min(alignedEnd, Math.floor(startMs / stepMs) * stepMs);
  return { startMs: alignedStart, endMs: alignedEnd, stepMs };
}

/**
 * Consecutive sub-ranges of at most `maxPoints` points each. Neighbours share their boundary
 * timestamp (each request is inclusive at both ends); the joiner drops the repeated sample.
 */
export function splitRange(range: AlignedRange, maxPoints = maxPointsPerRequest): { startMs: number; endMs: number }[] {
  const stepsPerChunk = Math.max(1, maxPoints - 1);
  const chunks: { startMs: number; endMs: number }[] = [];
  let start = range.startMs;
  do {
    const end = Math.min(range.endMs, start + stepsPerChunk * range.stepMs);
    chunks.push({ startMs: start, endMs: end });
    start = end;
  } while (start < range.endMs);
  return chunks;
}
