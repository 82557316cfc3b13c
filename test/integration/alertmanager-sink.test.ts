/**
 * The Alertmanager sink against a real Alertmanager 0.25: a firing alert shows up active with
 * our labels and annotations, and the resolved notification resolves it; no-data notifications
 * end a series' alert and open (then resolve) the detector-level AnomalyDetectorNoData.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertmanagerSink } from '../../lib/sinks/alertmanager.js';
import { evaluateAbsent, evaluateAlert, type AlertDetector } from '../../lib/alerts/lifecycle.js';
import { evaluateQuery } from '../../lib/alerts/query-presence.js';
import { withSummary } from '../../lib/sinks/format.js';
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

  it("no data (notifyAbsent): a series' absent ends its alert; the query's opens AnomalyDetectorNoData until resolved", async () => {
    // Prepare: notifications as the lifecycle makes them, at the wall clock (Alertmanager
    // compares endsAt with its own clock).
    const sink = createAlertmanagerSink({ url: am.baseUrl, retries: 1, timeoutMs: 5_000, activeForMs: 255 * 60_000 });
    const detector: AlertDetector = { name: 'queue', query: 'queue_depth', severity: 'warning', labels: {}, forEvaluations: 1, notifyAbsent: true };
    const policy = { repeatIntervalMinutes: 240, resolveAfter: 1, sendResolved: true };
    const startMs = Date.now() - 120_000;
    const labels = { job: 'worker', instance: 'w1' };
    const fired = evaluateAlert(undefined, { labels, anomalous: true, score: 0.9, threshold: 0.5, value: 40 }, detector, policy, startMs);
    const gone = evaluateAbsent({ ...fired.state, version: 1 }, detector, policy, startMs + 60_000);
    const watching = evaluateQuery(undefined, 1, detector, policy, startMs)!;
    const empty = evaluateQuery({ ...watching.state, version: 1 }, 0, detector, policy, startMs + 60_000)!;

    // Act 1: the series fires; then it stops reporting and the query returns nothing.
    await sink.send(fired.notifications.map(withSummary));
    const firingAlert = (await am.alerts({ active: true })).find((a) => a.labels.detector === 'queue');
    expect(firingAlert!.labels.alertname).toBe('AnomalyDetected');
    const sent = await sink.send([...gone.notifications, ...empty.notifications].map(withSummary));

    // Assess 1: the series' alert has ended; the query's no-data alert is active, detector-level.
    expect(sent.failed).toEqual([]);
    const active = (await am.alerts({ active: true })).filter((a) => a.labels.detector === 'queue');
    expect(active).toHaveLength(1);
    expect(active[0]!.labels).toEqual({ alertname: 'AnomalyDetectorNoData', detector: 'queue', severity: 'warning' });
    expect(active[0]!.annotations).toEqual({ summary: 'No data: queue: the query returned no series', query: 'queue_depth' });
    expect(Date.parse(active[0]!.endsAt) - Date.now()).toBeGreaterThan(4 * 60 * 60_000);
    const ended = (await am.alerts()).filter((a) => a.fingerprint === firingAlert!.fingerprint);
    for (const a of ended) expect(Date.parse(a.endsAt)).toBeLessThanOrEqual(Date.now());

    // Act 2 and assess: series are back; the resolved notification ends the no-data alert.
    const back = evaluateQuery({ ...empty.state, version: 2 }, 1, detector, policy, Date.now())!;
    expect(await sink.send(back.notifications.map(withSummary))).toMatchObject({ failed: [] });
    expect((await am.alerts({ active: true })).filter((a) => a.labels.detector === 'queue')).toEqual([]);
  });
});

