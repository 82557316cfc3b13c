/**
 * The benchmark's history: `bench_latency_seconds{job="bench",instance="host-NNNN"}`, one sample
 * a minute ending at {@link benchEndS}. Seeded, so every run backfills the same numbers. Most
 * series are noisy but healthy; {@link anomalousIndexes} spike (4x, then 10x their level) in their
 * newest two minutes, so the cycle has alerts to deliver.
 */
import { Mulberry32 } from '../../lib/forest/index.js';
import type { SeriesInput } from '../../test/support/prometheus-server.js';

export const benchMetric = 'bench_latency_seconds';
/** Newest sample (a whole minute). A fixed past time: Prometheus keeps it (retention 100y). */
export const benchEndS = Date.UTC(2025, 0, 15, 12, 0, 0) / 1000;
export const stepSeconds = 60;
export const anomalousIndexes: readonly number[] = [17, 423, 871];

export const instanceName = (index: number): string => `host-${String(index).padStart(4, '0')}`;

/**
 * `count` series of `points` samples each up to {@link benchEndS}, and `after` more samples
 * after it (the new minutes later cycles read).
 */
export function benchSeries(count: number, points: number, after = 0): SeriesInput[] {
  const spiking = new Set(anomalousIndexes);
  const out: SeriesInput[] = [];
  for (let index = 0; index < count; index++) {
    const rng = new Mulberry32(7_000 + index);
    const level = 0.05 + 0.5 * rng.next();
    const samples = new Array<[number, number]>(points + after);
    for (let i = 0; i < points + after; i++) {
      const minutesBeforeEnd = points - 1 - i;
      // Slow drift (an hour-long wave) plus ±10 % noise.
      let value = level * (1 + 0.05 * Math.sin((2 * Math.PI * i) / 60 + index) + 0.1 * (rng.next() - 0.5));
      if (spiking.has(index) && (minutesBeforeEnd === 0 || minutesBeforeEnd === 1)) value = level * (minutesBeforeEnd === 0 ? 10 : 4);
      samples[i] = [benchEndS - minutesBeforeEnd * stepSeconds, Number(value.toFixed(6))];
    }
    out.push({ labels: { __name__: benchMetric, job: 'bench', instance: instanceName(index) }, samples });
  }
  return out;
}
