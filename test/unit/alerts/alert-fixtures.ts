/** The detector and series the lifecycle and formatter tests share. */
import type { AlertDetector } from '../../../lib/alerts/lifecycle.js';

export const t0 = Date.UTC(2025, 0, 1, 12, 0, 0);
export const labels = { __name__: 'http_latency_seconds', job: 'api', instance: 'a:9100' };
export const detector: AlertDetector = {
  name: 'latency',
  query: 'http_latency_seconds',
  severity: 'warning',
  labels: { team: 'sre' },
  forEvaluations: 1,
  prometheusUrl: 'http://prom.example:9090/',
};
