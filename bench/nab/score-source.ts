/**
 * Where the anomaly scores of a NAB run come from: the project's detector replayed over a
 * data file (the real benchmark), or a published detector's scores read from
 * ../shared/nab/reference (a labelled baseline that proves the harness end to end).
 */
import type { DetectorConfig } from '../../lib/config/config.js';
import { backtestSeries } from '../../lib/backtest/index.js';
import { defaultDetector } from '../../lib/config/defaults.js';
import { InputError } from '../../lib/errors.js';
import { readNabDataFile, readNabWindows, readReferenceScores } from './corpus.js';

export type ScoreSource =
  /** Published scores of `detector` (reference/<detector>/...). */
  | { readonly kind: 'reference'; readonly detector: string }
  /**
   * Our detector with its defaults (and `overrides` for experiments, the same for every
   * file). `signal: 'score'` scores the anomaly score (NAB optimises its threshold),
   * `'alert'` scores the notifications as the run would have sent them (0/1).
   */
  | {
      readonly kind: 'detector';
      readonly overrides: Partial<DetectorConfig>;
      readonly signal: 'score' | 'alert';
    };

/** Scores of one file, one per row. */
export interface FileScores {
  readonly name: string;
  readonly scores: Float64Array;
  /** 1 where an alert notification went out (`firing` or `repeat`; zeros for a reference). */
  readonly alerts: Uint8Array;
  /** 1 where a page went out: the alert fired (the pager's view, bench/nab/pager.ts; zeros for a reference). */
  readonly pages: Uint8Array;
  readonly elapsedMs: number;
}

/** The detector settings of a run: the defaults users get, plus experiment overrides. */
export function detectorSettings(overrides: Partial<DetectorConfig>): DetectorConfig {
  return defaultDetector({ name: 'nab', ...overrides });
}

/** A notification went out for this row: the alert fired, or repeated while firing. */
function notified(alert: string): boolean {
  return alert === 'firing' || alert === 'repeat';
}

/** Produces the scores of one NAB file from `source`. */
export async function produceScores(nabDir: string, name: string, source: ScoreSource): Promise<FileScores> {
  const started = performance.now();
  const file = readNabDataFile(nabDir, name, readNabWindows(nabDir));
  const rowCount = file.values.length;
  if (source.kind === 'reference') {
    return {
      name,
      scores: readReferenceScores(nabDir, source.detector, name, rowCount),
      alerts: new Uint8Array(rowCount),
      pages: new Uint8Array(rowCount),
      elapsedMs: performance.now() - started,
    };
  }
  const { rows } = await backtestSeries(
    { timestampsMs: file.timestampsMs, values: file.values },
    detectorSettings(source.overrides),
  );
  if (rows.length !== rowCount) {
    throw new InputError(`${name}: the backtest returned ${rows.length} rows for ${rowCount} input rows`);
  }
  const scores = new Float64Array(rowCount);
  const alerts = new Uint8Array(rowCount);
  const pages = new Uint8Array(rowCount);
  rows.forEach((row, i) => {
    alerts[i] = notified(row.alert) ? 1 : 0;
    pages[i] = row.alert === 'firing' ? 1 : 0;
    // Rows before the detector has enough history carry no score: they count as 0.
    const score = Number.isFinite(row.anomalyScore) ? Math.min(1, Math.max(0, row.anomalyScore)) : 0;
    scores[i] = source.signal === 'alert' ? alerts[i] : score;
  });
  return { name, scores, alerts, pages, elapsedMs: performance.now() - started };
}
