/** The alert column of a series read as events: where alerts fired, resolved, and were firing. */
import type { ReportAlert, ReportRow } from './report-input.js';

/** Where alerts started and ended, as row indices. */
export interface AlertEvents {
  readonly fired: readonly number[];
  readonly resolved: readonly number[];
  /** Firing intervals [first row, last row]; open at the end when never resolved. */
  readonly active: readonly (readonly [number, number])[];
}

function isEvent(alert: ReportAlert): alert is string {
  return typeof alert === 'string';
}

/**
 * Reads the alert column: with states, a rise is "fired" and a fall "resolved"; with lifecycle
 * events, `firing` (or a `repeat` with no earlier `firing`) fires and `resolved` resolves.
 */
export function alertEvents(rows: readonly ReportRow[]): AlertEvents {
  const fired: number[] = [];
  const resolved: number[] = [];
  const active: [number, number][] = [];
  let since = -1;
  const start = (i: number): void => {
    fired.push(i);
    since = i;
  };
  const stop = (i: number, endRow: number): void => {
    resolved.push(i);
    if (since >= 0) active.push([since, endRow]);
    since = -1;
  };
  rows.forEach((row, i) => {
    const { alert } = row;
    if (isEvent(alert)) {
      const event = alert.toLowerCase();
      if ((event === 'firing' || event === 'repeat') && since < 0) start(i);
      else if (event === 'resolved') stop(i, i);
      return;
    }
    const on = Boolean(alert);
    if (on && since < 0) start(i);
    else if (!on && since >= 0) stop(i, i - 1);
  });
  if (since >= 0) active.push([since, rows.length - 1]);
  return { fired, resolved, active };
}
