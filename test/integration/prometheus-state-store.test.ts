/**
 * The Prometheus StateStore against the real Prometheus (Debian package, 2.42) started with
 * `--web.enable-remote-write-receiver` and no out-of-order window (like a default
 * kube-prometheus-stack Prometheus): the shared contract, then what a Knative Service that
 * scales to zero relies on: a new process finds the state, and the alert lifecycle goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchAlerts } from '../../lib/alerts/dispatch.js';
import { StateStoreError } from '../../lib/alerts/errors.js';
import { createPrometheusStateStore, type PrometheusStateStoreOptions } from '../../lib/alerts/prometheus-state-store.js';
import type { AlertState, StateStore } from '../../lib/alerts/state-store.js';
import type { PrometheusConfig } from '../../lib/config/config.js';
import { configDefaults } from '../../lib/config/schema.js';
import { createMemoryLogger } from '../../lib/log.js';
import { createRemoteWriter, remoteWriteUrlFor } from '../../lib/remote-write/remote-writer.js';
import type { AlertSink, Notification } from '../../lib/sinks/sink.js';
import { createPrometheusSource } from '../../lib/sources/prometheus/prometheus-source.js';
import { startPrometheus, freePort, type RunningPrometheus } from '../support/prometheus-server.js';
import { describeStateStoreContract, stateFor } from '../unit/alerts/state-store-contract.js';

/** The configuration's limits on an answer (prometheus.maxSeries, prometheus.maxResponseBytes). */
const limits = { maxSeries: configDefaults.prometheusMaxSeries, maxResponseBytes: configDefaults.prometheusMaxResponseBytes };

let prometheus: RunningPrometheus;
let storeCount = 0;

beforeAll(async () => {
  prometheus = await startPrometheus({ remoteWrite: true, outOfOrderTimeWindow: '0s' });
});
afterAll(async () => {
  await prometheus?.stop();
});

function prometheusConfig(url: string): PrometheusConfig {
  return { url, auth: { type: 'none' }, headers: {}, timeoutMs: 5_000, retries: 0, ...limits };
}

/** A store as the runtime builds it: the source reads, the remote writer writes. */
function storeFor(url: string, options: PrometheusStateStoreOptions = {}, now?: () => Date): StateStore {
  return createPrometheusStateStore(options, {
    source: createPrometheusSource(prometheusConfig(url)),
    writer: createRemoteWriter({ url: remoteWriteUrlFor(url), timeoutMs: 5_000, retries: 0 }),
    ...(now ? { now } : {}),
  });
}

/** Each store gets its own metric, so every test starts from an empty store on one server. */
function freshMetric(): string {
  storeCount += 1;
  return `test_alert_state_${storeCount}`;
}

async function instantQuery(query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${(Date.now() + 1000) / 1000}`;
  const body = (await (await fetch(url)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  return body.data.result;
}

describeStateStoreContract('prometheus', () =>
  Promise.resolve({ store: storeFor(prometheus.url, { metricName: freshMetric() }), cleanup: () => Promise.resolve() }),
);

function state(detector: string, labels: Record<string, string>, overrides: Partial<AlertState> = {}): AlertState {
  return stateFor(detector, labels, { lastEvaluatedMs: Date.UTC(2026, 0, 1), ...overrides });
}

describe('prometheus state store beyond the contract', () => {
  it('keeps state across processes: a new store (a Service scaled up from zero) reads what the last one wrote', async () => {
    // Prepare
    const metricName = freshMetric();
    const first = storeFor(prometheus.url, { metricName });
    const written = await first.put(state('latency', { job: 'api' }, { status: 'firing', anomalousStreak: 2, firingSinceMs: 1 }));

    // Act
    const second = storeFor(prometheus.url, { metricName });
    const listed = await second.list('latency');
    const updated = await second.put({ ...listed[0]!, normalStreak: 1 });

    // Assess
    expect(listed).toEqual([written]);
    expect(updated?.version).toBe(written!.version + 1);
    expect(await first.list('latency')).toEqual([updated]);
  });

  it('is plain PromQL: firing states can be queried by status with the version as value', async () => {
    // Prepare
    const metricName = freshMetric();
    const store = storeFor(prometheus.url, { metricName });

    // Act
    await store.put(state('latency', { job: 'api' }, { status: 'firing', firingSinceMs: 5 }));
    await store.put(state('latency', { job: 'web' }));

    // Assess
    const firing = await instantQuery(`${metricName}{status="firing"}`);
    expect(firing).toHaveLength(1);
    expect(firing[0]!.metric).toMatchObject({ detector: 'latency', series_key: '{job="api"}', status: 'firing' });
    expect(firing[0]!.value[1]).toBe('1');
    expect(JSON.parse(firing[0]!.metric.state!)).toMatchObject({ status: 'firing', firingSinceMs: 5 });
  });

  it('forgets a state not rewritten within the lookback', async () => {
    // Prepare: a store whose clock runs 3 minutes ahead sees a write "older" than its 2-minute lookback.
    const metricName = freshMetric();
    await storeFor(prometheus.url, { metricName, lookbackMinutes: 2 }).put(state('latency', { job: 'api' }));
    const later = storeFor(prometheus.url, { metricName, lookbackMinutes: 2 }, () => new Date(Date.now() + 3 * 60_000));

    // Act
    const listed = await later.list('latency');

    // Assess
    expect(listed).toEqual([]);
  });

  it('fails with a StateStoreError naming the store when Prometheus cannot be reached', async () => {
    // Prepare
    const url = `http://127.0.0.1:${await freePort()}`;
    const store = storeFor(url, { metricName: freshMetric() });

    // Act
    const listing = store.list('latency');
    const putting = store.put(state('latency', { job: 'api' }));

    // Assess
    await expect(listing).rejects.toThrow(StateStoreError);
    await expect(listing).rejects.toThrow(/cannot read alert state.*ECONNREFUSED|connection refused/);
    await expect(putting).rejects.toThrow(StateStoreError);
  });

  it('carries an alert lifecycle across store instances: fires once, no repeat, resolves once', async () => {
    // Prepare: a sink that records; each run uses a new store, as each Knative cold start would.
    const metricName = freshMetric();
    const received: Notification[] = [];
    const sink: AlertSink = {
      name: 'recorder',
      send: (batch) => {
        received.push(...batch);
        return Promise.resolve({ delivered: batch.map((n) => n.id), failed: [] });
      },
    };
    const detector = { name: 'latency', query: 'up', severity: 'warning' as const, labels: {}, forEvaluations: 1 };
    const labels = { __name__: 'up', job: 'api' };
    const verdict = (anomalous: boolean) => ({ labels, anomalous, score: anomalous ? 0.9 : 0.3, threshold: 0.6, last: 1 });
    const t0 = Date.UTC(2026, 0, 1, 12, 0);
    const runs = [true, true, false, false];

    // Act
    const alerts: string[] = [];
    for (const [index, anomalous] of runs.entries()) {
      const summary = await dispatchAlerts(
        { detector, verdicts: [verdict(anomalous)], nowMs: t0 + index * 60_000 },
        {
          store: storeFor(prometheus.url, { metricName }),
          sinks: [sink],
          policy: { resolveAfter: 2, repeatIntervalMinutes: 240, sendResolved: true },
          logger: createMemoryLogger(),
        },
      );
      alerts.push(summary.series[0]!.alert);
    }

    // Assess
    expect(alerts).toEqual(['firing', 'none', 'none', 'resolved']);
    expect(received.map((n) => n.kind)).toEqual(['firing', 'resolved']);
    // Resolved and delivered: nothing left to remember.
    expect(await storeFor(prometheus.url, { metricName }).list('latency')).toEqual([]);
  });
});
