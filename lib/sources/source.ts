/**
 * The MetricSource port: where windows of metric series come from. Adapters: `prometheus`
 * (HTTP API, with bearer/basic/SigV4 auth) and `file` (recorded `query_range` responses).
 * No axios or AWS type crosses this port.
 */

/** Label set of one series, as Prometheus returns it (`__name__` included when present). */
export type Labels = Readonly<Record<string, string>>;

/** One series over a window. Timestamps are Unix milliseconds, ascending; values finite. */
export interface Series {
  labels: Labels;
  timestampsMs: Float64Array;
  values: Float64Array;
  /** Samples dropped because they were NaN, +Inf or -Inf. */
  droppedNonFinite: number;
}

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
