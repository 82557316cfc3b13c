/**
 * Write-back without a server: the config keys, the remote write target, which results become
 * samples, and how runDetection treats the writer (after the detectors, not in a dry run, a
 * failure fails the run but no alert). The writes themselves against the real Prometheus are in
 * test/integration/write-back.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStateStore } from '../../../lib/alerts/memory-state-store.js';
import { ConfigError, describeConfig, parseConfig } from '../../../lib/config/index.js';
import { createMemoryLogger } from '../../../lib/log.js';
import { RemoteWriteError } from '../../../lib/remote-write/errors.js';
import { runDetection } from '../../../lib/run.js';
import type { SeriesResult } from '../../../lib/series-result.js';
import type { AlertSink, Notification } from '../../../lib/sinks/sink.js';
import type { Series } from '../../../lib/series/index.js';
import type { MetricSource, RangeQuery } from '../../../lib/sources/source.js';
import { remoteWriteOptionsOf } from '../../../lib/write-back/remote-write-options.js';
import type { RemoteWriteSample } from '../../../lib/remote-write/write-request.js';
import { resultSamples, type ScoreWriter } from '../../../lib/write-back/score-writer.js';

const detectors = [{ name: 'latency', query: 'latency_seconds' }];

function problems(input: unknown): string[] {
  try {
    parseConfig(input, { source: 'test.yaml' });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('write-back configuration', () => {
  it('is off unless a writeBack block is given, on with an empty block, off with enabled: false', () => {
    expect(parseConfig({ detectors }, { source: 't' }).writeBack).toBeUndefined();
    expect(parseConfig({ detectors, writeBack: {} }, { source: 't' }).writeBack).toEqual({ enabled: true });
    expect(parseConfig({ detectors, writeBack: { enabled: false } }, { source: 't' }).writeBack).toEqual({ enabled: false });
  });

  it('reports typos and wrong types by path', () => {
    expect(problems({ detectors, writeBack: { enable: true } })).toEqual(['writeBack.enable: unknown key']);
    expect(problems({ detectors, writeBack: { enabled: 'yes' } })).toEqual(['writeBack.enabled: must be true or false']);
    expect(problems({ detectors, prometheus: { remoteWriteUrl: 'prom:9090' } })).toEqual([
      'prometheus.remoteWriteUrl: must be an http:// or https:// URL',
    ]);
  });

  it('names the write-back target in the start-up summary by host only', () => {
    const on = parseConfig(
      { detectors, prometheus: { url: 'http://prom:9090', remoteWriteUrl: 'https://user:s3cret-pw@mimir.example/api/v1/push' }, writeBack: {} },
      { source: 't' },
    );
    expect(describeConfig(on).writeBack).toBe('remote write https://mimir.example');
    expect(describeConfig(parseConfig({ detectors }, { source: 't' })).writeBack).toBe('off');
  });

  it('takes a lookback for the prometheus state store, as a duration', () => {
    const config = parseConfig({ detectors, alerts: { stateStore: { type: 'prometheus', lookbackMinutes: '6h' } } }, { source: 't' });
    expect(config.alerts.stateStore).toEqual({ type: 'prometheus', lookbackMinutes: 360 });
    expect(parseConfig({ detectors, alerts: { stateStore: 'prometheus' } }, { source: 't' }).alerts.stateStore).toEqual({ type: 'prometheus' });
  });
});

describe('remote write target', () => {
  it('derives the endpoint from prometheus.url, or takes remoteWriteUrl, with the query side auth and limits', () => {
    const plain = parseConfig({ detectors, prometheus: { url: 'http://prom:9090/prefix/', timeoutMs: '5s', retries: 1 } }, { source: 't' });
    expect(remoteWriteOptionsOf(plain.prometheus)).toEqual({ url: 'http://prom:9090/prefix/api/v1/write', headers: {}, timeoutMs: 5000, retries: 1 });

    const amp = parseConfig({ detectors, prometheus: { url: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1' } }, { source: 't' });
    expect(remoteWriteOptionsOf(amp.prometheus)).toMatchObject({
      url: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write',
      auth: { type: 'sigv4', region: 'eu-west-1', service: 'aps' },
    });

    const separate = parseConfig(
      {
        detectors,
        prometheus: {
          url: 'http://thanos-query:9090',
          remoteWriteUrl: 'http://thanos-receive:19291/api/v1/receive',
          auth: { type: 'bearer', token: { env: 'TOKEN' } },
          headers: { 'X-Scope-OrgID': 'team-a' },
        },
      },
      { source: 't' },
    );
    expect(remoteWriteOptionsOf(separate.prometheus)).toMatchObject({
      url: 'http://thanos-receive:19291/api/v1/receive',
      auth: { type: 'bearer', token: { env: 'TOKEN' } },
      headers: { 'X-Scope-OrgID': 'team-a' },
    });
  });
});

function result(overrides: Partial<SeriesResult>): SeriesResult {
  return {
    detector: 'latency',
    labels: { __name__: 'latency_seconds', job: 'api' },
    points: 60,
    last: 1.5,
    score: 0.7,
    threshold: 0.6,
    hasAnomaly: true,
    numAnomalies: 1,
    anomalous: true,
    alert: 'none',
    firing: true,
    atMs: Date.UTC(2026, 0, 1, 12, 0),
    ...overrides,
  };
}

describe('resultSamples', () => {
  it('writes score, threshold, firing and value for each scored series at its evaluation time', () => {
    const samples = resultSamples([result({})]);
    const byName: Record<string, RemoteWriteSample> = Object.fromEntries(samples.map((s) => [s.labels.__name__!, s]));
    expect(Object.keys(byName).sort()).toEqual(['aiops_alert_firing', 'aiops_anomaly_score', 'aiops_anomaly_threshold', 'aiops_series_value']);
    expect(byName.aiops_anomaly_score).toEqual({
      labels: { __name__: 'aiops_anomaly_score', detector: 'latency', series_name: 'latency_seconds', job: 'api' },
      value: 0.7,
      timestampMs: Date.UTC(2026, 0, 1, 12, 0),
    });
    expect(byName.aiops_anomaly_threshold!.value).toBe(0.6);
    expect(byName.aiops_alert_firing!.value).toBe(1);
    expect(byName.aiops_series_value!.value).toBe(1.5);
  });

  it('writes firing 0 for a quiet series and nothing for a series with too few points', () => {
    const samples = resultSamples([
      result({ labels: { job: 'quiet' }, firing: false, anomalous: false }),
      result({ labels: { job: 'short' }, score: null, threshold: null, points: 3 }),
    ]);
    expect(new Set(samples.map((s) => s.labels.job))).toEqual(new Set(['quiet']));
    expect(samples.find((s) => s.labels.__name__ === 'aiops_alert_firing')!.value).toBe(0);
  });
});

describe('runDetection with write-back', () => {
  const t0 = Date.UTC(2026, 0, 1, 12, 0);
  /** One series of 60 calm points whose newest point jumps tenfold: it fires at once. */
  const spiking: MetricSource = {
    description: 'test',
    queryRange: (query: RangeQuery): Promise<Series[]> => {
      const times: number[] = [];
      const values: number[] = [];
      for (let t = query.startMs, i = 0; t <= query.endMs; t += 60_000, i++) {
        times.push(t);
        values.push(t === query.endMs ? 10 : 1 + 0.01 * Math.sin(i));
      }
      return Promise.resolve([
        { labels: { __name__: 'latency_seconds', job: 'api' }, timestampsMs: Float64Array.from(times), values: Float64Array.from(values), droppedNonFinite: 0 },
      ]);
    },
  };
  const config = parseConfig({ detectors: [{ name: 'latency', query: 'latency_seconds' }] }, { source: 't' });

  function recordingSink(): AlertSink & { sent: Notification[] } {
    const sent: Notification[] = [];
    return {
      name: 'recorder',
      sent,
      send: (batch) => {
        sent.push(...batch);
        return Promise.resolve({ delivered: batch.map((n) => n.id), failed: [] });
      },
    };
  }

  /** A ScoreWriter (the run's port) that records what it is given, or fails like a refused write. */
  function writer(fail?: Error): ScoreWriter & { calls: SeriesResult[][] } {
    const calls: SeriesResult[][] = [];
    return {
      description: 'remote write http://prom:9090',
      calls,
      write: (results) => {
        calls.push([...results]);
        return fail ? Promise.reject(fail) : Promise.resolve({ samples: resultSamples(results).length });
      },
    };
  }

  it('writes the results once, after the alert went out, and reports it in the summary line', async () => {
    // Prepare
    const sink = recordingSink();
    const scores = writer();
    const logger = createMemoryLogger();

    // Act
    const summary = await runDetection(
      { config, source: spiking, store: createMemoryStateStore(), sinks: [sink], logger, writeBack: scores },
      { now: new Date(t0) },
    );

    // Assess
    expect(summary.ok).toBe(true);
    expect(sink.sent.map((n) => n.kind)).toEqual(['firing']);
    expect(scores.calls).toHaveLength(1);
    expect(scores.calls[0]!.map((r) => [r.labels.job, r.alert, r.firing])).toEqual([['api', 'firing', true]]);
    expect(summary.writeBack).toEqual({ ok: true, samples: 4 });
    expect(logger.results.at(-1)).toMatchObject({ summary: true, ok: true, write_back: { ok: true, samples: 4 } });
  });

  it('fails the run when the write is refused, keeps the delivered alert, and logs the reason once', async () => {
    // Prepare
    const sink = recordingSink();
    const logger = createMemoryLogger();
    const refused = new RemoteWriteError('remote write http://prom:9090 rejected: HTTP 400 out of order sample', { retryable: false, status: 400 });

    // Act
    const summary = await runDetection(
      { config, source: spiking, store: createMemoryStateStore(), sinks: [sink], logger, writeBack: writer(refused) },
      { now: new Date(t0) },
    );

    // Assess
    expect(sink.sent.map((n) => n.kind)).toEqual(['firing']);
    expect(summary).toMatchObject({ ok: false, failures: 1, alertsSent: 1, writeBack: { ok: false, samples: 0 } });
    expect(summary.outcomes.every((o) => o.ok)).toBe(true);
    const errors = logger.diagnostics.filter((d) => d.level === 'error');
    expect(errors).toEqual([expect.objectContaining({ msg: 'writing scores back failed; alerts are not affected', error: refused.message })]);
  });

  it('writes nothing in a dry run', async () => {
    // Prepare
    const scores = writer();

    // Act
    const summary = await runDetection(
      { config, source: spiking, store: createMemoryStateStore(), sinks: [recordingSink()], logger: createMemoryLogger(), writeBack: scores },
      { now: new Date(t0), dryRun: true },
    );

    // Assess
    expect(scores.calls).toEqual([]);
    expect(summary.writeBack).toBeUndefined();
  });
});
