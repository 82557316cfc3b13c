/**
 * serve's registry (lib/self-metrics/prom-client-registry.ts): what GET /metrics answers after
 * some cycles, in the text format. Scraped by a real Prometheus in
 * test/integration/knative-serve.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { register as globalRegistry } from 'prom-client';
import { cycleFigures } from '../../../lib/self-metrics/cycle-figures.js';
import { createSelfMetricsRegistry } from '../../../lib/self-metrics/prom-client-registry.js';
import { dispatchSummary, runSummary, seriesResultOf } from '../../support/run-summary.js';

const startedAtMs = 1_764_000_000_000;

function cycle(ok: boolean, pending: number) {
  return cycleFigures({
    summary: runSummary({
      ok,
      durationMs: 700,
      outcomes: [{ name: 'latency', ok, series: 2, anomalies: 1, dispatch: dispatchSummary('latency', { sent: 1, failed: ok ? 0 : 1, pending }) }],
      results: [seriesResultOf('latency', { anomalous: true }), seriesResultOf('latency')],
    }),
    stateStore: { list: [0.002], put: [0.004], delete: [] },
    startedAtMs,
    finishedAtMs: startedAtMs + 800,
  });
}

/** `name{labels} value` lines of the exposition, without comments. */
function samplesOf(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    map.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return map;
}

describe('createSelfMetricsRegistry', () => {
  it('exposes the run outcomes, the store operations and the last success before any cycle', async () => {
    const text = await createSelfMetricsRegistry().metrics();
    const samples = samplesOf(text);

    expect(samples.get('aiops_detector_runs_total{outcome="success"}')).toBe(0);
    expect(samples.get('aiops_detector_runs_total{outcome="failure"}')).toBe(0);
    expect(samples.get('aiops_detector_state_store_duration_seconds_count{operation="delete"}')).toBe(0);
    expect(samples.get('aiops_detector_last_success_timestamp_seconds')).toBe(0);
    expect(text).toContain('# TYPE aiops_detector_run_duration_seconds histogram');
  });

  it('accumulates counters and histograms over cycles and keeps the last gauge values', async () => {
    // Prepare
    const registry = createSelfMetricsRegistry();

    // Act
    registry.record(cycle(true, 0));
    registry.record(cycle(false, 3));
    const samples = samplesOf(await registry.metrics());

    // Assess
    expect(samples.get('aiops_detector_runs_total{outcome="success"}')).toBe(1);
    expect(samples.get('aiops_detector_runs_total{outcome="failure"}')).toBe(1);
    expect(samples.get('aiops_detector_run_duration_seconds_count')).toBe(2);
    expect(samples.get('aiops_detector_run_duration_seconds_bucket{le="1"}')).toBe(2);
    expect(samples.get('aiops_detector_detector_runs_total{detector="latency",outcome="failure"}')).toBe(1);
    expect(samples.get('aiops_detector_detector_runs_total{detector="latency",outcome="skipped"}')).toBe(0);
    expect(samples.get('aiops_detector_series_scored_total{detector="latency"}')).toBe(4);
    expect(samples.get('aiops_detector_anomalies_total{detector="latency"}')).toBe(2);
    expect(samples.get('aiops_detector_notifications_total{detector="latency",result="sent"}')).toBe(2);
    expect(samples.get('aiops_detector_notifications_total{detector="latency",result="failed"}')).toBe(1);
    expect(samples.get('aiops_detector_notifications_pending{detector="latency"}')).toBe(3);
    expect(samples.get('aiops_detector_state_store_duration_seconds_count{operation="put"}')).toBe(2);
    // The failed second cycle left the first one's success time.
    expect(samples.get('aiops_detector_last_success_timestamp_seconds')).toBe((startedAtMs + 800) / 1000);
  });

  it('keeps each registry to itself: nothing in prom-client global registry, nothing shared', async () => {
    // Prepare
    const first = createSelfMetricsRegistry();
    const second = createSelfMetricsRegistry();

    // Act
    first.record(cycle(true, 0));

    // Assess
    expect(samplesOf(await second.metrics()).get('aiops_detector_runs_total{outcome="success"}')).toBe(0);
    expect(await globalRegistry.metrics()).not.toContain('aiops_detector');
    expect(first.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});
