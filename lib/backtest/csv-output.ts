/**
 * The backtest's output CSV: `timestamp,value,anomaly_score,alert` for one input file (its
 * timestamps as written), `series,timestamp,value,anomaly_score,alert` for the series of a
 * Prometheus query (timestamps in RFC 3339, UTC).
 */
import type { ReplayedSeries } from './replay-each.js';
import type { BacktestRow } from './replay.js';
import { formatTime } from './time.js';

function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Six decimals are plenty for a score in [0, 1] and keep the file readable; `0` stays `0`. */
function formatScore(score: number): string {
  return String(Number(score.toFixed(6)));
}

function rowCells(row: BacktestRow): string {
  return `${String(row.value)},${formatScore(row.anomalyScore)},${row.alert}`;
}

/** One input's rows, each with its timestamp as the input wrote it. */
export function formatCsvOutput(timestampText: readonly string[], rows: readonly BacktestRow[]): string {
  const lines = ['timestamp,value,anomaly_score,alert'];
  for (let i = 0; i < rows.length; i++) lines.push(`${csvCell(timestampText[i]!)},${rowCells(rows[i]!)}`);
  return `${lines.join('\n')}\n`;
}

/** The rows of every series, the series' name first (quoted as CSV needs). */
export function formatSeriesOutput(replayed: readonly ReplayedSeries[]): string {
  const lines = ['series,timestamp,value,anomaly_score,alert'];
  for (const series of replayed) {
    const cell = csvCell(series.name);
    for (const row of series.rows) lines.push(`${cell},${formatTime(row.timestampMs)},${rowCells(row)}`);
  }
  return `${lines.join('\n')}\n`;
}
