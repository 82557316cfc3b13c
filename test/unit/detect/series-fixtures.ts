/** Seeded synthetic series for the detection tests (never Math.random: tests must be reproducible). */
import { Mulberry32 } from '../../../lib/forest/index.js';
import type { Labels, Series } from '../../../lib/series/index.js';

/** Standard normal draws from a seeded generator (Box-Muller). */
export function gaussian(seed: number): () => number {
  const rng = new Mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

export interface NoiseOptions {
  seed: number;
  mean?: number;
  sd?: number;
  stepMs?: number;
  /** Timestamp of the first point (Unix ms); default 2024-01-01T00:00:00Z. */
  startMs?: number;
}

/** n points of Gaussian noise around `mean`, one every `stepMs`. */
export function noisySeries(n: number, options: NoiseOptions): { timestampsMs: Float64Array; values: Float64Array } {
  const { seed, mean = 100, sd = 5, stepMs = 60_000, startMs = Date.UTC(2024, 0, 1) } = options;
  const next = gaussian(seed);
  const timestampsMs = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    timestampsMs[i] = startMs + i * stepMs;
    values[i] = mean + sd * next();
  }
  return { timestampsMs, values };
}

/** A {@link Series} over the given arrays. */
export function seriesOf(
  points: { timestampsMs: Float64Array; values: Float64Array },
  labels: Labels = { job: 'api' },
): Series {
  return { labels, timestampsMs: points.timestampsMs, values: points.values, droppedNonFinite: 0 };
}

/** Points [start, end) of a series, as the run would have read that window. */
export function slice(
  points: { timestampsMs: Float64Array; values: Float64Array },
  start: number,
  end: number,
): { timestampsMs: Float64Array; values: Float64Array } {
  return { timestampsMs: points.timestampsMs.slice(start, end), values: points.values.slice(start, end) };
}
