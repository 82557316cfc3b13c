/** A run's state figures over all its detectors, for the summary and its log line. */
import type { StateFigures } from './detector-state.js';

/** The detectors' {@link StateFigures} added up; `warm` and `cold` count detectors. */
export interface StateTotals {
  warm: number;
  cold: number;
  samplesRead: number;
  refits: number;
  expired: number;
  bytesRead: number;
  bytesWritten: number;
  storeMs: number;
  storeErrors: number;
}

export function stateTotals(figures: readonly StateFigures[]): StateTotals | undefined {
  if (figures.length === 0) return undefined;
  const sum = (pick: (f: StateFigures) => number): number => figures.reduce((total, f) => total + pick(f), 0);
  return {
    warm: figures.filter((f) => f.mode === 'warm').length,
    cold: figures.filter((f) => f.mode === 'cold').length,
    samplesRead: sum((f) => f.samplesRead),
    refits: sum((f) => f.refits),
    expired: sum((f) => f.expired),
    bytesRead: sum((f) => f.bytesRead),
    bytesWritten: sum((f) => f.bytesWritten),
    storeMs: Math.round(sum((f) => f.storeMs) * 10) / 10,
    storeErrors: sum((f) => f.storeErrors),
  };
}

/** The summary line's `state` object (snake_case, as the rest of the line). */
export function stateSummaryFields(state: StateTotals): Record<string, number> {
  return {
    warm: state.warm,
    cold: state.cold,
    samples_read: state.samplesRead,
    refits: state.refits,
    expired: state.expired,
    bytes_read: state.bytesRead,
    bytes_written: state.bytesWritten,
    store_ms: state.storeMs,
    store_errors: state.storeErrors,
  };
}
