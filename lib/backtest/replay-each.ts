/**
 * Several series replayed one after another (the series of a Prometheus query, or a CSV's
 * one), each on its own, with one progress count over all their rows.
 */
import type { LifecyclePolicy } from '../alerts/lifecycle.js';
import type { DetectorConfig } from '../config/config.js';
import type { Labels } from '../series/index.js';
import { backtestSeries, type BacktestInput, type BacktestResult, type BacktestRow } from './replay.js';

/** The run's settings a backtest replays with: the detector and the alerts section. */
export interface BacktestSettings {
  detector: DetectorConfig;
  alertPolicy: LifecyclePolicy;
}

/** One series to replay; its labels (when known) are part of every seed, as in the run. */
export interface ReplayInput extends BacktestInput {
  labels?: Labels;
}

export interface ReplayEachOptions {
  /** Spacing every window is measured in; default each series' median timestamp gap. */
  spacingMs?: number;
  /** Stops the replay between rows; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Rows done and total over all inputs, and which input (from 0) of how many is replaying. */
  onProgress?: (done: number, total: number, index: number, count: number) => void;
}

/** A replayed series, named, ready for output (the CSV or the report). */
export interface ReplayedSeries {
  name: string;
  rows: readonly BacktestRow[];
}

/** Replays each input in turn with {@link backtestSeries}; one result per input, in order. */
export async function replayEach(
  inputs: readonly ReplayInput[],
  settings: BacktestSettings,
  options: ReplayEachOptions = {},
): Promise<BacktestResult[]> {
  const total = inputs.reduce((sum, input) => sum + input.timestampsMs.length, 0);
  const results: BacktestResult[] = [];
  let before = 0;
  for (const [index, input] of inputs.entries()) {
    const result = await backtestSeries({ timestampsMs: input.timestampsMs, values: input.values }, settings.detector, {
      alertPolicy: settings.alertPolicy,
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      ...(input.labels !== undefined ? { labels: input.labels } : {}),
      ...(options.spacingMs !== undefined ? { spacingMs: options.spacingMs } : {}),
      onProgress: (done) => options.onProgress?.(before + done, total, index, inputs.length),
    });
    before += input.timestampsMs.length;
    results.push(result);
  }
  return results;
}
