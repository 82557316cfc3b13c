/** What the backtest report draws: series of rows, windows to shade, and the page's options. */
import type { Labels } from '../series/index.js';

/**
 * The alert column of a backtest row: a state (`true`/`1` while firing) or an event of the
 * alert lifecycle (`firing`, `repeat`, `resolved`, `none`).
 */
export type ReportAlert = boolean | number | string;

/**
 * One replayed row (a lib/backtest/replay.ts `BacktestRow` fits as it is). `anomalyScore` is
 * NaN while the detector lacks history.
 */
export interface ReportRow {
  readonly timestampMs: number;
  readonly value: number;
  readonly anomalyScore: number;
  readonly alert: ReportAlert;
  /** The threshold this row was judged against, when it varies per row (NaN: none yet). */
  readonly threshold?: number;
}

/** A labelled interval to shade (for example a NAB anomaly window). */
export interface ReportWindow {
  readonly startMs: number;
  readonly endMs: number;
}

export interface ReportSeries {
  readonly name: string;
  readonly labels?: Labels;
  readonly rows: readonly ReportRow[];
  /**
   * Score threshold of the detector, drawn as a dashed line. Rows' own `threshold` values, when
   * present, are drawn instead (the effective threshold moves with the window).
   */
  readonly threshold?: number;
  /** Known anomaly windows, shaded behind the metric. */
  readonly windows?: readonly ReportWindow[];
}

export interface ReportOptions {
  readonly title: string;
  readonly generatedAt: Date;
  /** Buckets per chart for decimation (each keeps up to 4 rows). Default 700. */
  readonly maxBuckets?: number;
}
