/**
 * The latency history the run tests share: one sample a minute, ±5 % noise around a level,
 * calmer (±0.5 %) from five minutes before minute 0 on, so the points a test evaluates are
 * typical values; a spiky series is 4x then 10x its level at minutes -1 and 0. With default
 * detector settings the spike fires and the calm series stay quiet.
 */
import { seededRandom } from './random.js';
import type { SeriesInput } from './prometheus-server.js';

/**
 * The value at `minute` (relative to minute 0). Draws one number from `random` for every
 * minute, spike or not, so the noise after a spike does not depend on whether there was one.
 */
export function latencyValue(random: () => number, level: number, minute: number, spiky: boolean): number {
  const noisy = level * (1 + (minute < -5 ? 0.1 : 0.01) * (random() - 0.5));
  if (spiky && minute === -1) return level * 4;
  if (spiky && minute === 0) return level * 10;
  return noisy;
}

export interface LatencyHistoryOptions {
  metric: string;
  /** Minute 0 (Unix seconds, a whole minute so step-aligned). */
  endS: number;
  /** The `instance` label of each series, in order. */
  instances: readonly string[];
  /** The instance that spikes. */
  spiky: string;
  /** Series i draws its noise from seededRandom(seedBase + i). */
  seedBase: number;
  /** Level of series i. */
  level: (index: number) => number;
  /** Newest minute written (history starts at minute -120). */
  lastMinute: number;
}

/** One series per instance, labelled `{__name__: metric, job: 'api', instance}`, for promtool backfill. */
export function latencyHistory(options: LatencyHistoryOptions): SeriesInput[] {
  return options.instances.map((instance, index) => {
    const random = seededRandom(options.seedBase + index);
    const level = options.level(index);
    const samples: [number, number][] = [];
    for (let m = -120; m <= options.lastMinute; m++) {
      const value = latencyValue(random, level, m, instance === options.spiky);
      samples.push([options.endS + m * 60, Number(value.toFixed(5))]);
    }
    return { labels: { __name__: options.metric, job: 'api', instance }, samples };
  });
}
