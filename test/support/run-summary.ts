/**
 * Run summaries as runDetection returns them, for tests of what consumes them (the HTTP
 * server's answer, the self-metrics): complete objects with small overrides.
 */
import type { DispatchSummary } from '../../lib/alerts/dispatch.js';
import type { RunSummary } from '../../lib/run.js';
import type { SeriesResult } from '../../lib/series-result.js';

/** A dispatch summary with nothing delivered, and `overrides`. */
export function dispatchSummary(detector: string, overrides: Partial<DispatchSummary> = {}): DispatchSummary {
  return {
    detector,
    dryRun: false,
    series: [],
    absent: [],
    notifications: 0,
    sent: 0,
    failed: 0,
    pending: 0,
    leftPending: 0,
    dropped: 0,
    skipped: 0,
    stateErrors: 0,
    wouldSend: [],
    query: 'none',
    ...overrides,
  };
}

/** A series result of `detector`; `score: null` is one with too few points. */
export function seriesResultOf(detector: string, overrides: Partial<SeriesResult> = {}): SeriesResult {
  return {
    detector,
    labels: { instance: 'a' },
    points: 60,
    last: 1,
    score: 0.4,
    threshold: 0.5,
    hasAnomaly: false,
    numAnomalies: 0,
    anomalous: false,
    alert: 'none',
    firing: false,
    atMs: 1_700_000_000_000,
    ...overrides,
  };
}

/** A successful one-detector run, and `overrides`. */
export function runSummary(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    ok: true,
    dryRun: false,
    detectors: 1,
    series: 2,
    anomalies: 1,
    alertsSent: 1,
    failures: 0,
    pending: 0,
    skipped: [],
    durationMs: 12,
    timingsMs: { query: 5, score: 5, deliver: 2 },
    outcomes: [{ name: 'latency', ok: true, series: 2, anomalies: 1 }],
    results: [],
    ...overrides,
  };
}
