/**
 * Window arithmetic for `query_range`: bounds aligned to the step (so successive runs ask for
 * the same grid and Prometheus' results cache can help), long windows split under the
 * server's limit of 11,000 points per series, and a range halved when its answer is too large.
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

/**
 * The two halves of a range of whole steps, split at a step boundary: the first ends one step
 * before the second starts (so no point is asked for twice) and has the middle point when the
 * count is odd. A range of a single point has no halves: `undefined`.
 */
export function halveRange(
  range: { startMs: number; endMs: number },
  stepMs: number,
): [{ startMs: number; endMs: number }, { startMs: number; endMs: number }] | undefined {
  const steps = Math.round((range.endMs - range.startMs) / stepMs);
  if (steps < 1) return undefined;
  const firstEndMs = range.startMs + Math.floor(steps / 2) * stepMs;
  return [
    { startMs: range.startMs, endMs: firstEndMs },
    { startMs: firstEndMs + stepMs, endMs: range.endMs },
  ];
}
