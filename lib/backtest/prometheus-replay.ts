/**
 * A backtest over Prometheus history: read the query's range together with the window before
 * its start (the run at the start read that window too), replay each series on its own at the
 * query's step, and keep the rows from the start on.
 */
import type { DetectorConfig } from '../config/config.js';
import { windowPoints } from '../detect/window.js';
import { seriesName, type Series } from '../series/index.js';
import type { MetricSource, RangeQuery } from '../sources/source.js';
import { replayEach, type BacktestSettings, type ReplayEachOptions, type ReplayedSeries } from './replay-each.js';

/** A series of the query with its name as Prometheus prints it (lib/series `seriesName`). */
export interface NamedSeries extends Series {
  name: string;
}

/** The replayed series from the range's start on, and the points of a full window. */
export interface PrometheusReplay {
  series: ReplayedSeries[];
  windowPoints: number;
}

/**
 * Reads `range` plus the detector's window before `range.startMs`, every series named and
 * sorted by name. Throws the source's SourceError on failure.
 */
export async function readPrometheusHistory(
  source: MetricSource,
  range: RangeQuery,
  detector: DetectorConfig,
  signal?: AbortSignal,
): Promise<NamedSeries[]> {
  const warmUpMs = detector.windowMinutes * 60_000;
  const series = await source.queryRange(
    { query: range.query, startMs: range.startMs - warmUpMs, endMs: range.endMs, stepSeconds: range.stepSeconds },
    { signal },
  );
  // Prometheus' own order is by labels already; sort so the output never depends on it.
  return series
    .map((s) => ({ ...s, name: seriesName(s.labels) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Replays the series {@link readPrometheusHistory} read, windows measured at the range's step,
 * and keeps the rows from `range.startMs` on.
 */
export async function replayPrometheusHistory(
  history: readonly NamedSeries[],
  range: RangeQuery,
  settings: BacktestSettings,
  options: Omit<ReplayEachOptions, 'spacingMs'> = {},
): Promise<PrometheusReplay> {
  const results = await replayEach(history, settings, { ...options, spacingMs: range.stepSeconds * 1000 });
  return {
    series: history.map((s, i) => ({
      name: s.name,
      rows: results[i]!.rows.filter((row) => row.timestampMs >= range.startMs),
    })),
    windowPoints: windowPoints(settings.detector),
  };
}
