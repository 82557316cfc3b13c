/**
 * The MetricSource port: where windows of metric series come from. Adapters: `prometheus`
 * (HTTP API, with bearer/basic/SigV4 auth) and `file` (recorded `query_range` responses).
 * No axios or AWS type crosses this port.
 */
import type { Series } from '../series/index.js';

export interface RangeQuery {
  query: string;
  /** Inclusive window bounds, Unix milliseconds; the adapter aligns them to `stepSeconds`. */
  startMs: number;
  endMs: number;
  stepSeconds: number;
}

export interface MetricSource {
  /** Human-readable, secret-free name for logs: `prometheus http://prom:9090`. */
  readonly description: string;
  /** One series per label set. Throws SourceError (lib/sources/errors.ts) on failure. */
  queryRange(query: RangeQuery, options?: { signal?: AbortSignal }): Promise<Series[]>;
}
