/**
 * The one place that picks a MetricSource adapter from the configuration: a recording when
 * `prometheus.recording` is set (the embedded demo), the Prometheus HTTP API otherwise.
 */
import type { PrometheusConfig } from '../config/config.js';
import { createFileSource, type FileSourceDeps } from './file/file-source.js';
import { createPrometheusSource, type PrometheusSourceDeps } from './prometheus/prometheus-source.js';
import type { MetricSource } from './source.js';

/** The source `config` describes; `deps` go to whichever adapter is chosen. */
export function createMetricSource(config: PrometheusConfig, deps: PrometheusSourceDeps & FileSourceDeps = {}): MetricSource {
  if (config.recording) {
    return createFileSource({ path: config.recording.path, rebase: config.recording.rebase }, { readFile: deps.readFile });
  }
  return createPrometheusSource(config, deps);
}
