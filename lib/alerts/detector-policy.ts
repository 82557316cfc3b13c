/** What the alert stages need of the configuration: the lifecycle policy and the detector's alert fields. */
import type { Config, DetectorConfig } from '../config/config.js';
import type { DispatchPolicy } from './dispatch.js';
import type { AlertDetector } from './lifecycle.js';

export function policyOf(config: Config): DispatchPolicy {
  const { repeatIntervalMinutes, resolveAfter, sendResolved } = config.alerts;
  return { repeatIntervalMinutes, resolveAfter, sendResolved };
}

/** What the alert lifecycle needs of a detector; the graph link's base is the Prometheus UI. */
export function alertDetector(detector: DetectorConfig, config: Config): AlertDetector {
  return {
    name: detector.name,
    query: detector.query,
    severity: detector.severity,
    labels: detector.labels,
    forEvaluations: detector.forEvaluations,
    prometheusUrl: config.prometheus.recording ? undefined : config.prometheus.url,
    notifyAbsent: detector.notifyAbsent,
  };
}
