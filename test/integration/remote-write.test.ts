/**
 * The remote writer against the real Prometheus (Debian package, 2.42) started with
 * `--web.enable-remote-write-receiver`: what is written is queried back through the HTTP API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteWriteError } from '../../lib/remote-write/errors.js';
import { createRemoteWriter, remoteWriteUrlFor } from '../../lib/remote-write/remote-writer.js';
import { scoreSamples } from '../../lib/remote-write/score-samples.js';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus-server.js';

let prometheus: RunningPrometheus;
let baseUrl: string;

beforeAll(async () => {
  // No out-of-order window, like a default kube-prometheus-stack Prometheus: an older sample
  // for a series is refused.
  prometheus = await startPrometheus({ remoteWrite: true, outOfOrderTimeWindow: '0s' });
  baseUrl = prometheus.url;
});

afterAll(async () => {
  await prometheus?.stop();
});

interface VectorResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function instantQuery(query: string, timeMs: number): Promise<VectorResult[]> {
  const url = `${baseUrl}/api/v1/query?query=${encodeURIComponent(query)}&time=${timeMs / 1000}`;
  const body = (await (await fetch(url)).json()) as { status: string; data: { resultType: string; result: VectorResult[] } };
  expect(body.status).toBe('success');
  return body.data.result;
}

// Whole seconds, so the instant query's evaluation time equals the sample's timestamp exactly.
const nowMs = Math.floor(Date.now() / 60_000) * 60_000;

describe('remote write to the real Prometheus', () => {
  it('writes scores for several series that come back with the same labels and values', async () => {
    // Prepare
    const writer = createRemoteWriter({ url: remoteWriteUrlFor(baseUrl), timeoutMs: 5000, retries: 1 });
    const samples = [
      ...scoreSamples({ detector: 'latency', labels: { __name__: 'svc:p95', service: 'checkout' }, score: 0.83, threshold: 0.61, firing: true, value: 1.25, timestampMs: nowMs }),
      ...scoreSamples({ detector: 'latency', labels: { __name__: 'svc:p95', service: 'search' }, score: 0.41, threshold: 0.61, firing: false, value: 0.2, timestampMs: nowMs }),
      ...scoreSamples({ detector: 'errors', labels: { job: 'api', detector: 'x' }, score: 0.5, threshold: 0.5, firing: false, timestampMs: nowMs }),
    ];

    // Act
    const result = await writer.write(samples);

    // Assess: every sample written is found at its timestamp, with exactly its labels.
    expect(result).toEqual({ samples: samples.length, series: samples.length, requests: 1 });
    const found = await instantQuery('{__name__=~"aiops_.+"}', nowMs);
    const actual = found.map((r) => ({ labels: r.metric, value: Number(r.value[1]), timestampMs: Math.round(r.value[0] * 1000) }));
    const expected = samples.map((s) => ({ labels: { ...s.labels }, value: s.value, timestampMs: s.timestampMs }));
    const order = (a: { labels: Record<string, string> }, b: { labels: Record<string, string> }) =>
      JSON.stringify(a.labels, Object.keys(a.labels).sort()).localeCompare(JSON.stringify(b.labels, Object.keys(b.labels).sort()));
    expect(actual.sort(order)).toEqual(expected.sort(order));
  });

  it('lets PromQL compare score and threshold one-to-one, as the alert rules do', async () => {
    const above = await instantQuery('aiops_anomaly_score > aiops_anomaly_threshold', nowMs);
    expect(above.map((r) => [r.metric.detector, r.metric.service])).toEqual([['latency', 'checkout']]);
  });

  it('keeps a series of samples across several writes (one per run)', async () => {
    const writer = createRemoteWriter({ url: remoteWriteUrlFor(baseUrl), timeoutMs: 5000, retries: 1 });
    const labels = { __name__: 'aiops_anomaly_score', detector: 'history', job: 'api' };
    for (let i = 0; i < 3; i++) {
      await writer.write([{ labels, value: i / 10, timestampMs: nowMs + i * 60_000 }]);
    }
    const url = `${baseUrl}/api/v1/query_range?query=${encodeURIComponent('aiops_anomaly_score{detector="history"}')}&start=${nowMs / 1000}&end=${nowMs / 1000 + 120}&step=60`;
    const body = (await (await fetch(url)).json()) as { data: { result: { values: [number, string][] }[] } };
    expect(body.data.result[0]!.values).toEqual([
      [nowMs / 1000, '0'],
      [nowMs / 1000 + 60, '0.1'],
      [nowMs / 1000 + 120, '0.2'],
    ]);
  });

  it('turns an out-of-order write into a clear error that is not retried', async () => {
    // Prepare: a newer sample first, then an older one for the same series.
    const writer = createRemoteWriter({ url: remoteWriteUrlFor(baseUrl), timeoutMs: 5000, retries: 3 });
    const labels = { __name__: 'aiops_anomaly_score', detector: 'ooo', job: 'api' };
    await writer.write([{ labels, value: 0.5, timestampMs: nowMs }]);

    // Act
    let caught: unknown;
    const started = Date.now();
    try {
      await writer.write([{ labels, value: 0.6, timestampMs: nowMs - 10 * 60_000 }]);
    } catch (error) {
      caught = error;
    }

    // Assess
    expect(caught).toBeInstanceOf(RemoteWriteError);
    const error = caught as RemoteWriteError;
    expect(error.status).toBe(400);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/out of (order|bounds)/);
    expect(error.message).toContain('not retried');
    expect(Date.now() - started).toBeLessThan(1000); // no backoff: a single attempt
  });

  it('is accepted late when Prometheus has an out-of-order window (storage.tsdb.out_of_order_time_window)', async () => {
    const tolerant = await startPrometheus({ remoteWrite: true, outOfOrderTimeWindow: '1h' });
    try {
      const writer = createRemoteWriter({ url: remoteWriteUrlFor(tolerant.url), timeoutMs: 5000, retries: 0 });
      const labels = { __name__: 'aiops_anomaly_score', detector: 'late', job: 'api' };
      await writer.write([{ labels, value: 0.5, timestampMs: nowMs }]);
      await writer.write([{ labels, value: 0.6, timestampMs: nowMs - 10 * 60_000 }]);
      const url = `${tolerant.url}/api/v1/query?query=${encodeURIComponent('aiops_anomaly_score{detector="late"}')}&time=${(nowMs - 10 * 60_000) / 1000}`;
      const body = (await (await fetch(url)).json()) as { data: { result: VectorResult[] } };
      expect(body.data.result.map((r) => r.value[1])).toEqual(['0.6']);
    } finally {
      await tolerant.stop();
    }
  });

  it('explains the 404 of a Prometheus started without the receiver flag', async () => {
    const plain = await startPrometheus({ remoteWrite: false });
    try {
      const writer = createRemoteWriter({ url: remoteWriteUrlFor(plain.url), timeoutMs: 5000, retries: 0 });
      const write = writer.write([{ labels: { __name__: 'm' }, value: 1, timestampMs: nowMs }]);
      await expect(write).rejects.toThrow(/HTTP 404 .*--web.enable-remote-write-receiver/);
    } finally {
      await plain.stop();
    }
  });
});
