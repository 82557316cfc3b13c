/**
 * The detector's own figures for one cycle, read from the run's summary and the state store's
 * timings: the one place that knows where each figure comes from. What they are called, as
 * Prometheus series or CloudWatch metrics, is lib/self-metrics/metric-names.ts; how they are
 * published is one small writer per medium (a prom-client registry for `serve`, remote write,
 * CloudWatch EMF on Lambda).
 */
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { RunSummary } from '../run.js';
import type { StateStoreTimings } from './timed-state-store.js';

export type RunOutcome = 'success' | 'failure';
export type DetectorOutcome = 'success' | 'failure' | 'skipped';

export const runOutcomes: readonly RunOutcome[] = ['success', 'failure'];
export const detectorOutcomes: readonly DetectorOutcome[] = ['success', 'failure', 'skipped'];

/** One detector's share of a cycle. */
export interface DetectorFigures {
  detector: string;
  /** `failure`: its query or a delivery or state write failed; `skipped`: the run was aborted first. */
  outcome: DetectorOutcome;
  /** Series with a score (series with too few points have none). */
  seriesScored: number;
  /** Series whose newest point was anomalous. */
  anomalies: number;
  /** Deliveries (notification x sink) a sink accepted this cycle. */
  notificationsSent: number;
  /** Deliveries that failed this cycle (they stay pending). */
  notificationsFailed: number;
  /** Deliveries pending after the cycle; absent when the detector did not get to delivering. */
  notificationsPending?: number;
}

/** What one finished cycle adds to the detector's own metrics. */
export interface CycleFigures {
  outcome: RunOutcome;
  /** The run's own duration (RunSummary.durationMs). */
  durationSeconds: number;
  /** Wall clock, Unix ms: when the cycle started and ended. */
  startedAtMs: number;
  finishedAtMs: number;
  detectors: DetectorFigures[];
  /** Every state store call of the cycle, in seconds, per operation. */
  stateStore: StateStoreTimings;
}

export interface FinishedCycle {
  summary: RunSummary;
  stateStore: StateStoreTimings;
  startedAtMs: number;
  finishedAtMs: number;
}

/** Receives the figures of every finished cycle (dry runs are not reported). Never throws. */
export type CycleObserver = (figures: CycleFigures) => Promise<void> | void;

/** The figures of a finished cycle. */
export function cycleFigures(cycle: FinishedCycle): CycleFigures {
  const { summary } = cycle;
  const scored = new Map<string, number>();
  for (const result of summary.results) {
    if (result.score === null || result.absent) continue;
    scored.set(result.detector, (scored.get(result.detector) ?? 0) + 1);
  }
  return {
    outcome: summary.ok ? 'success' : 'failure',
    durationSeconds: summary.durationMs / 1000,
    startedAtMs: cycle.startedAtMs,
    finishedAtMs: cycle.finishedAtMs,
    detectors: summary.outcomes.map((outcome) => ({
      detector: outcome.name,
      outcome: outcome.skipped ? 'skipped' : outcome.ok ? 'success' : 'failure',
      seriesScored: scored.get(outcome.name) ?? 0,
      anomalies: outcome.anomalies,
      notificationsSent: outcome.dispatch?.sent ?? 0,
      notificationsFailed: outcome.dispatch?.failed ?? 0,
      ...(outcome.dispatch ? { notificationsPending: outcome.dispatch.pending } : {}),
    })),
    stateStore: cycle.stateStore,
  };
}

/**
 * Hands a finished cycle's figures to every observer, one after the other. An observer that
 * throws is logged and the others still run: publishing figures never fails a cycle.
 */
export async function reportCycle(cycle: FinishedCycle, observers: readonly CycleObserver[], logger: Logger): Promise<void> {
  if (observers.length === 0) return;
  const figures = cycleFigures(cycle);
  for (const observe of observers) {
    try {
      await observe(figures);
    } catch (error) {
      logger.error('publishing self-metrics failed; detection is not affected', { error: errorMessage(error) });
    }
  }
}
