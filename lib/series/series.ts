/**
 * The ground every stage stands on: a series' labels and its points over a window. Sources
 * produce them, detect scores them, alerts and sinks name them. Nothing here imports anything.
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
