/**
 * The detector's own metrics by remote write, for processes nothing scrapes (`aiops-detector
 * run` in a CronJob, a Lambda writing to Amazon Managed Prometheus): after each cycle, the
 * series a scrape of a process that ran just that cycle would have shown, at the wall clock.
 *
 * Counters and histograms are written twice: 0 when the cycle started and the cycle's value
 * when it ended. Each cycle is then one counter lifetime, like a process scraped at its start
 * and end, and `increase()` / `rate()` count across cycles through the resets (a first sample
 * of 0 also keeps Prometheus from extrapolating a counter back before it started). Gauges are
 * written once, at the end; the last-success gauge only after a successful cycle.
 */
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { RemoteWriter } from '../remote-write/remote-writer.js';
import type { RemoteWriteSample } from '../remote-write/write-request.js';
import type { CycleFigures, CycleObserver } from './cycle-figures.js';
import { prometheusFigures, selfMetrics, type SelfMetric } from './metric-names.js';

export interface SelfMetricsWriteOptions {
  /** The `job` label of every written series (a scrape adds its own; here the config names it). */
  job: string;
}

interface Aggregate {
  def: SelfMetric;
  labels: Readonly<Record<string, string>>;
  values: number[];
}

/** The samples of one cycle: cumulative series at start (0) and end, gauges at the end. */
export function selfMetricSamples(figures: CycleFigures, options: SelfMetricsWriteOptions): RemoteWriteSample[] {
  const startMs = Math.floor(figures.startedAtMs);
  // Two samples of one series need two timestamps.
  const endMs = Math.max(Math.floor(figures.finishedAtMs), startMs + 1);
  const byKey = new Map<string, Aggregate>();
  for (const { metric, labels, value } of prometheusFigures(figures)) {
    const key = `${metric}${JSON.stringify(labels)}`;
    const found: Aggregate = byKey.get(key) ?? { def: selfMetrics[metric], labels, values: [] };
    found.values.push(value);
    byKey.set(key, found);
  }
  const samples: RemoteWriteSample[] = [];
  const cumulative = (name: string, labels: Readonly<Record<string, string>>, value: number): void => {
    const full = { ...labels, job: options.job, __name__: name };
    samples.push({ labels: full, value: 0, timestampMs: startMs }, { labels: full, value, timestampMs: endMs });
  };
  for (const { def, labels, values } of byKey.values()) {
    if (def.type === 'gauge') {
      samples.push({ labels: { ...labels, job: options.job, __name__: def.name }, value: values.at(-1)!, timestampMs: endMs });
    } else if (def.type === 'counter') {
      cumulative(def.name, labels, values.reduce((sum, v) => sum + v, 0));
    } else {
      for (const bound of def.buckets ?? []) {
        cumulative(`${def.name}_bucket`, { ...labels, le: String(bound) }, values.filter((v) => v <= bound).length);
      }
      cumulative(`${def.name}_bucket`, { ...labels, le: '+Inf' }, values.length);
      cumulative(`${def.name}_sum`, labels, values.reduce((sum, v) => sum + v, 0));
      cumulative(`${def.name}_count`, labels, values.length);
    }
  }
  return samples;
}

/**
 * Writes each cycle's samples with `writer`. A failed write is logged and not thrown: the
 * detection went through, and a detector whose figures stop arriving trips the "no successful
 * run" alert anyway.
 */
export function remoteWriteSelfMetrics(writer: RemoteWriter, options: SelfMetricsWriteOptions & { logger: Logger }): CycleObserver {
  return async (figures) => {
    try {
      const written = await writer.write(selfMetricSamples(figures, options));
      options.logger.debug('self-metrics written', { target: writer.description, samples: written.samples });
    } catch (error) {
      options.logger.error('writing self-metrics failed; detection is not affected', { target: writer.description, error: errorMessage(error) });
    }
  };
}
