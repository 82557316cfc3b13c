/**
 * From a run's summary and the store's timings to the figures (cycle-figures.ts) and from
 * those to the named Prometheus figures (metric-names.ts): what every publisher (serve's
 * registry, remote write, CloudWatch EMF) starts from.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../../lib/log.js';
import { cycleFigures, reportCycle, type CycleFigures, type FinishedCycle } from '../../../lib/self-metrics/cycle-figures.js';
import { prometheusFigures, selfMetrics } from '../../../lib/self-metrics/metric-names.js';
import { dispatchSummary, runSummary, seriesResultOf } from '../../support/run-summary.js';

const startedAtMs = 1_764_000_000_000;

/** Two detectors: `latency` scored 2 of 3 series, sent 1 and failed 1; `broken`'s query failed; `late` skipped. */
function failedCycle(): FinishedCycle {
  return {
    summary: runSummary({
      ok: false,
      durationMs: 1_500,
      outcomes: [
        { name: 'latency', ok: false, series: 3, anomalies: 1, dispatch: dispatchSummary('latency', { sent: 1, failed: 1, pending: 2 }) },
        { name: 'broken', ok: false, error: 'bad_data', series: 0, anomalies: 0 },
        { name: 'late', ok: false, skipped: true, error: 'skipped: run aborted', series: 0, anomalies: 0 },
      ],
      results: [
        seriesResultOf('latency', { anomalous: true }),
        seriesResultOf('latency'),
        seriesResultOf('latency', { score: null, threshold: null }),
      ],
    }),
    stateStore: { list: [0.004], put: [0.01, 0.02], delete: [] },
    startedAtMs,
    finishedAtMs: startedAtMs + 1_600,
  };
}

describe('cycleFigures', () => {
  it('reads outcome, duration, per-detector counts and store timings from the run', () => {
    expect(cycleFigures(failedCycle())).toEqual({
      outcome: 'failure',
      durationSeconds: 1.5,
      startedAtMs,
      finishedAtMs: startedAtMs + 1_600,
      detectors: [
        { detector: 'latency', outcome: 'failure', seriesScored: 2, anomalies: 1, notificationsSent: 1, notificationsFailed: 1, notificationsPending: 2 },
        { detector: 'broken', outcome: 'failure', seriesScored: 0, anomalies: 0, notificationsSent: 0, notificationsFailed: 0 },
        { detector: 'late', outcome: 'skipped', seriesScored: 0, anomalies: 0, notificationsSent: 0, notificationsFailed: 0 },
      ],
      stateStore: { list: [0.004], put: [0.01, 0.02], delete: [] },
    } satisfies CycleFigures);
  });

  it('calls a run that went through a success', () => {
    const figures = cycleFigures({ summary: runSummary(), stateStore: { list: [], put: [], delete: [] }, startedAtMs, finishedAtMs: startedAtMs + 20 });
    expect(figures.outcome).toBe('success');
    expect(figures.detectors).toEqual([
      { detector: 'latency', outcome: 'success', seriesScored: 0, anomalies: 1, notificationsSent: 0, notificationsFailed: 0 },
    ]);
  });
});

describe('prometheusFigures', () => {
  it('names every figure, with 0 for the outcomes and results that did not occur', () => {
    const named = prometheusFigures(cycleFigures(failedCycle()));
    const of = (metric: string) => named.filter((f) => f.metric === metric).map(({ labels, value }) => ({ labels, value }));

    expect(of('runs')).toEqual([
      { labels: { outcome: 'success' }, value: 0 },
      { labels: { outcome: 'failure' }, value: 1 },
    ]);
    expect(of('runDuration')).toEqual([{ labels: {}, value: 1.5 }]);
    expect(of('detectorRuns').filter((f) => f.value === 1)).toEqual([
      { labels: { detector: 'latency', outcome: 'failure' }, value: 1 },
      { labels: { detector: 'broken', outcome: 'failure' }, value: 1 },
      { labels: { detector: 'late', outcome: 'skipped' }, value: 1 },
    ]);
    expect(of('detectorRuns')).toHaveLength(9);
    expect(of('seriesScored')[0]).toEqual({ labels: { detector: 'latency' }, value: 2 });
    expect(of('notifications').slice(0, 2)).toEqual([
      { labels: { detector: 'latency', result: 'sent' }, value: 1 },
      { labels: { detector: 'latency', result: 'failed' }, value: 1 },
    ]);
    // Only a detector that got to delivering knows its pending count.
    expect(of('notificationsPending')).toEqual([{ labels: { detector: 'latency' }, value: 2 }]);
    expect(of('stateStoreDuration')).toEqual([
      { labels: { operation: 'list' }, value: 0.004 },
      { labels: { operation: 'put' }, value: 0.01 },
      { labels: { operation: 'put' }, value: 0.02 },
    ]);
    // A failed cycle leaves the last success where it was.
    expect(of('lastSuccess')).toEqual([]);
  });

  it('sets the last success to the end of a successful cycle, in seconds', () => {
    const named = prometheusFigures(cycleFigures({ summary: runSummary(), stateStore: { list: [], put: [], delete: [] }, startedAtMs, finishedAtMs: startedAtMs + 2_500 }));
    expect(named.find((f) => f.metric === 'lastSuccess')).toEqual({ metric: 'lastSuccess', labels: {}, value: startedAtMs / 1000 + 2.5 });
  });

  it('uses metric names that follow the Prometheus conventions', () => {
    for (const def of Object.values(selfMetrics)) {
      expect(def.name).toMatch(/^aiops_detector_[a-z_]+$/);
      if (def.type === 'counter') expect(def.name).toMatch(/_total$/);
      else expect(def.name).not.toMatch(/_total$/);
      if (def.type === 'histogram') expect(def.name).toMatch(/_seconds$/);
    }
  });
});

describe('reportCycle', () => {
  it('hands the figures to every observer, and an observer that throws is logged, not thrown', async () => {
    // Prepare
    const logger = createMemoryLogger();
    const seen: CycleFigures[] = [];

    // Act
    await reportCycle(failedCycle(), [() => { throw new Error('EMF refused'); }, (figures) => { seen.push(figures); }], logger);

    // Assess
    expect(seen).toHaveLength(1);
    expect(logger.diagnostics).toContainEqual(expect.objectContaining({ level: 'error', error: 'EMF refused' }));
  });
});
