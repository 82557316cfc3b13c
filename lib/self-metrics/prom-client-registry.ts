/**
 * The detector's own metrics in a prom-client Registry of their own (never prom-client's
 * global default registry), for `serve`'s GET /metrics: counters and histograms accumulate
 * over the process' cycles, gauges keep the last value. Only `serve` imports this file, so
 * prom-client stays out of the Lambda bundle.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { runOutcomes, type CycleFigures } from './cycle-figures.js';
import { prometheusFigures, selfMetrics, type SelfMetricId } from './metric-names.js';
import { stateStoreOperations } from './timed-state-store.js';

export interface SelfMetricsRegistry {
  /** Adds one cycle's figures. */
  record(figures: CycleFigures): void;
  /** The Prometheus text exposition format's content type. */
  readonly contentType: string;
  /** Every metric in the text exposition format. */
  metrics(): Promise<string>;
}

type AnyMetric = Counter | Gauge | Histogram;

/** A registry with every metric of metric-names.ts, the run outcomes and store operations at 0. */
export function createSelfMetricsRegistry(): SelfMetricsRegistry {
  const registry = new Registry();
  const metrics = new Map<SelfMetricId, AnyMetric>();
  for (const [id, def] of Object.entries(selfMetrics) as [SelfMetricId, (typeof selfMetrics)[SelfMetricId]][]) {
    const common = { name: def.name, help: def.help, labelNames: [...def.labelNames], registers: [registry] };
    if (def.type === 'counter') metrics.set(id, new Counter(common));
    else if (def.type === 'gauge') metrics.set(id, new Gauge(common));
    else metrics.set(id, new Histogram({ ...common, buckets: [...def.buckets] }));
  }
  const counter = (id: SelfMetricId) => metrics.get(id) as Counter;
  const histogram = (id: SelfMetricId) => metrics.get(id) as Histogram;

  // Series known before the first cycle exist from the first scrape on.
  for (const outcome of runOutcomes) counter('runs').inc({ outcome }, 0);
  for (const operation of stateStoreOperations) histogram('stateStoreDuration').zero({ operation });

  return {
    record(figures) {
      for (const { metric, labels, value } of prometheusFigures(figures)) {
        const target = metrics.get(metric);
        if (target instanceof Counter) target.inc(labels, value);
        else if (target instanceof Gauge) target.set(labels, value);
        else if (target instanceof Histogram) target.observe(labels, value);
      }
    },
    contentType: registry.contentType,
    metrics: () => registry.metrics(),
  };
}
