/**
 * The self-metrics as remote-write samples (lib/self-metrics/remote-write-samples.ts): what a
 * process nothing scrapes writes after a cycle. That Prometheus counts across such cycles with
 * increase() is shown against a real Prometheus in test/integration/write-back.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../../lib/log.js';
import type { RemoteWriter } from '../../../lib/remote-write/remote-writer.js';
import { toTimeSeries, type RemoteWriteSample } from '../../../lib/remote-write/write-request.js';
import { cycleFigures, type CycleFigures } from '../../../lib/self-metrics/cycle-figures.js';
import { remoteWriteSelfMetrics, selfMetricSamples } from '../../../lib/self-metrics/remote-write-samples.js';
import { dispatchSummary, runSummary, seriesResultOf } from '../../support/run-summary.js';

const startedAtMs = 1_764_000_000_000;
const finishedAtMs = startedAtMs + 2_000;

function figures(ok = true): CycleFigures {
  return cycleFigures({
    summary: runSummary({
      ok,
      durationMs: 1_800,
      outcomes: [{ name: 'latency', ok, series: 1, anomalies: 0, dispatch: dispatchSummary('latency', { sent: 2, pending: 1 }) }],
      results: [seriesResultOf('latency')],
    }),
    stateStore: { list: [0.003], put: [0.02, 0.2], delete: [] },
    startedAtMs,
    finishedAtMs,
  });
}

/** The samples of one series, as `[timestampMs, value]`. */
function seriesOf(samples: RemoteWriteSample[], labels: Record<string, string>): [number, number][] {
  return samples
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length)
    .map((s) => [s.timestampMs, s.value]);
}

describe('selfMetricSamples', () => {
  it('writes each counter as 0 at the cycle start and its value at the end, with the job label', () => {
    const samples = selfMetricSamples(figures(), { job: 'aiops-cron' });

    expect(seriesOf(samples, { __name__: 'aiops_detector_runs_total', job: 'aiops-cron', outcome: 'success' })).toEqual([
      [startedAtMs, 0],
      [finishedAtMs, 1],
    ]);
    expect(seriesOf(samples, { __name__: 'aiops_detector_runs_total', job: 'aiops-cron', outcome: 'failure' })).toEqual([
      [startedAtMs, 0],
      [finishedAtMs, 0],
    ]);
    expect(seriesOf(samples, { __name__: 'aiops_detector_notifications_total', job: 'aiops-cron', detector: 'latency', result: 'sent' })).toEqual([
      [startedAtMs, 0],
      [finishedAtMs, 2],
    ]);
  });

  it('writes gauges once, at the end, and the last success only after a success', () => {
    const ok = selfMetricSamples(figures(true), { job: 'j' });
    const failed = selfMetricSamples(figures(false), { job: 'j' });

    expect(seriesOf(ok, { __name__: 'aiops_detector_notifications_pending', job: 'j', detector: 'latency' })).toEqual([[finishedAtMs, 1]]);
    expect(seriesOf(ok, { __name__: 'aiops_detector_last_success_timestamp_seconds', job: 'j' })).toEqual([[finishedAtMs, finishedAtMs / 1000]]);
    expect(failed.filter((s) => s.labels.__name__ === 'aiops_detector_last_success_timestamp_seconds')).toEqual([]);
  });

  it('writes histograms as cumulative buckets, sum and count', () => {
    const samples = selfMetricSamples(figures(), { job: 'j' });
    const end = (labels: Record<string, string>) => seriesOf(samples, { job: 'j', ...labels }).at(-1)?.[1];
    const put = { __name__: 'aiops_detector_state_store_duration_seconds_bucket', operation: 'put' };

    expect(end({ ...put, le: '0.01' })).toBe(0);
    expect(end({ ...put, le: '0.025' })).toBe(1);
    expect(end({ ...put, le: '0.25' })).toBe(2);
    expect(end({ ...put, le: '+Inf' })).toBe(2);
    expect(end({ __name__: 'aiops_detector_state_store_duration_seconds_count', operation: 'put' })).toBe(2);
    expect(end({ __name__: 'aiops_detector_state_store_duration_seconds_sum', operation: 'put' })).toBeCloseTo(0.22);
    expect(end({ __name__: 'aiops_detector_run_duration_seconds_bucket', le: '2.5' })).toBe(1);
    expect(end({ __name__: 'aiops_detector_run_duration_seconds_bucket', le: '1' })).toBe(0);
    expect(end({ __name__: 'aiops_detector_run_duration_seconds_sum' })).toBe(1.8);
  });

  it('produces samples the remote write encoder takes, two timestamps apart even for an instant cycle', () => {
    const instant = { ...figures(), finishedAtMs: startedAtMs };
    const series = toTimeSeries(selfMetricSamples(instant, { job: 'j' }));
    const runs = series.find((s) => s.labels.some((l) => l.value === 'aiops_detector_runs_total'))!;
    expect(runs.samples.map((s) => s.timestampMs)).toEqual([startedAtMs, startedAtMs + 1]);
  });
});

describe('remoteWriteSelfMetrics', () => {
  it('logs a refused write instead of throwing', async () => {
    // Prepare
    const logger = createMemoryLogger();
    const writer: RemoteWriter = { description: 'remote write http://prometheus:9090', write: () => Promise.reject(new Error('HTTP 400 out of order sample')) };

    // Act
    await remoteWriteSelfMetrics(writer, { job: 'j', logger })(figures());

    // Assess
    expect(logger.diagnostics).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'writing self-metrics failed; detection is not affected', error: 'HTTP 400 out of order sample' }),
    );
  });
});
