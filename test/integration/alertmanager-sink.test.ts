/**
 * The Alertmanager sink against a real Alertmanager 0.25: a firing alert shows up active with
 * our labels and annotations, and the resolved notification resolves it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertmanagerSink } from '../../lib/sinks/alertmanager.js';
import type { Notification } from '../../lib/sinks/sink.js';
import { createMemoryLogger } from '../../lib/log.js';
import { startAlertmanager, type AlertmanagerServer } from '../support/alertmanager-server.js';

let am: AlertmanagerServer;

beforeAll(async () => {
  am = await startAlertmanager();
});
afterAll(async () => {
  await am?.stop();
});

function notification(kind: 'firing' | 'resolved', startsAtMs: number, atMs: number): Notification {
  const labels = { __name__: 'http_latency_seconds', job: 'checkout', 'pod.name': 'checkout-7d9f' };
  const key = '{__name__="http_latency_seconds",job="checkout",pod.name="checkout-7d9f"}';
  return {
    id: `latency|${key}|${kind}|${atMs}`,
    kind,
    detector: 'latency',
    seriesKey: key,
    labels,
    severity: 'critical',
    extraLabels: { team: 'payments' },
    query: 'http_latency_seconds{job="checkout"}',
    score: 0.87,
    threshold: 0.64,
    value: 2.5,
    startsAtMs,
    ...(kind === 'resolved' ? { endsAtMs: atMs } : {}),
    atMs,
    generatorUrl: 'http://prom.example:9090/graph?g0.expr=http_latency_seconds&g0.tab=0',
    summary: 'Anomaly: latency checkout',
  };
}

describe('Alertmanager sink with a real Alertmanager', () => {
  it('creates an active alert with our labels and annotations, then resolves it', async () => {
    const logger = createMemoryLogger();
    const sink = createAlertmanagerSink({ url: am.baseUrl, retries: 1, timeoutMs: 5_000, activeForMs: 255 * 60_000 }, { logger });
    const startsAtMs = Date.now() - 60_000;
    const firing = notification('firing', startsAtMs, Date.now());

    const sent = await sink.send([firing]);
    expect(sent).toEqual({ delivered: [firing.id], failed: [] });
    const active = await am.alerts({ active: true });
    expect(active).toHaveLength(1);
    const [alert] = active;
    expect(alert!.labels).toEqual({
      alertname: 'AnomalyDetected',
      detector: 'latency',
      severity: 'critical',
      metric: 'http_latency_seconds',
      job: 'checkout',
      pod_name: 'checkout-7d9f',
      team: 'payments',
    });
    expect(alert!.annotations).toMatchObject({ summary: firing.summary, score: '0.87', threshold: '0.64', query: firing.query, value: '2.5' });
    expect(alert!.generatorURL).toBe(firing.generatorUrl);
    expect(Date.parse(alert!.startsAt)).toBe(startsAtMs);
    // Still active long after resolve_timeout (5 min): it lives until after the next repeat.
    expect(Date.parse(alert!.endsAt) - Date.now()).toBeGreaterThan(4 * 60 * 60_000);

    const resolved = notification('resolved', startsAtMs, Date.now());
    expect(await sink.send([resolved])).toEqual({ delivered: [resolved.id], failed: [] });
    const after = await am.alerts();
    const same = after.filter((a) => a.fingerprint === alert!.fingerprint);
    // Alertmanager lists only unresolved alerts; a resolved one is gone or has ended.
    for (const a of same) expect(Date.parse(a.endsAt)).toBeLessThanOrEqual(Date.now());
    expect(await am.alerts({ active: true })).toEqual([]);
  });

  it('a payload Alertmanager rejects is reported as not retryable', async () => {
    const sink = createAlertmanagerSink({ url: am.baseUrl, retries: 2, timeoutMs: 5_000, activeForMs: 255 * 60_000 });
    // A series label value that is not valid UTF-8 cannot be built from JS strings; an invalid
    // generatorURL is what Alertmanager's API validation rejects instead.
    const bad = { ...notification('firing', Date.now(), Date.now()), generatorUrl: 'not a url with spaces' };
    const result = await sink.send([bad]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]).toMatchObject({ retryable: false });
    expect(result.failed[0]!.reason).toMatch(/^HTTP 4\d\d/);
  });
});
