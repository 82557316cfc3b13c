/** Replayed series as the HTML report (lib/report/html-report.ts) draws them. */
import type { ReportSeries } from '../report/html-report.js';
import type { ReplayedSeries } from './replay-each.js';

/**
 * The report's view of replayed series: no score line (NaN) where the detector had no verdict
 * yet. The name already spells out the labels (cpu{instance="a"}): no second labels line.
 */
export function reportSeriesOf(replayed: readonly ReplayedSeries[]): ReportSeries[] {
  return replayed.map((s) => ({
    name: s.name,
    rows: s.rows.map((row) => ({
      timestampMs: row.timestampMs,
      value: row.value,
      anomalyScore: Number.isNaN(row.threshold) ? Number.NaN : row.anomalyScore,
      threshold: row.threshold,
      alert: row.alert,
    })),
  }));
}
