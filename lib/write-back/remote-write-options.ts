/**
 * One remote write target for everything written to Prometheus (scores, and the `prometheus`
 * state store): `prometheus.remoteWriteUrl`, else derived from `prometheus.url`, with the
 * query side's auth, headers, timeout and retries.
 */
import type { PrometheusConfig } from '../config/config.js';
import { remoteWriteUrlFor, type RemoteWriterOptions } from '../remote-write/remote-writer.js';

/** Remote writer options for a Prometheus config. */
export function remoteWriteOptionsOf(prometheus: PrometheusConfig): RemoteWriterOptions {
  return {
    url: prometheus.remoteWriteUrl ?? remoteWriteUrlFor(prometheus.url),
    // No auth configured: let the writer sign for an Amazon Managed Prometheus URL by itself
    // (a remoteWriteUrl on AMP behind a plain query URL).
    ...(prometheus.auth.type !== 'none' ? { auth: prometheus.auth } : {}),
    headers: prometheus.headers,
    timeoutMs: prometheus.timeoutMs,
    retries: prometheus.retries,
    ...(prometheus.caFile !== undefined ? { caFile: prometheus.caFile } : {}),
  };
}
