import { describe, expect, it } from 'vitest';
import {
  alertmanagerAlert,
  alertmanagerAlertsUrl,
  alertmanagerLabels,
  createAlertmanagerSink,
  sanitizeLabelName,
} from '../../../lib/sinks/alertmanager.js';
import { startWebhookReceiver } from '../../support/webhook-receiver.js';
import { describeSinkContract, sampleNotification, secretToken } from './sink-contract.js';

/** The default repeat interval (240 min) plus the registry's 15-minute margin. */
const activeForMs = 255 * 60_000;

describeSinkContract('alertmanager', {
  makeSink: (url, { logger, timeoutMs, retries, retry }) =>
    createAlertmanagerSink({ url, timeoutMs, retries, retry, activeForMs }, { logger, random: () => 0.5 }),
});

describe('alertmanager payload', () => {
  it('posts to <base>/api/v2/alerts, keeping a URL that already ends there', async () => {
    expect(alertmanagerAlertsUrl('http://am:9093')).toBe('http://am:9093/api/v2/alerts');
    expect(alertmanagerAlertsUrl('http://am:9093/prefix/')).toBe('http://am:9093/prefix/api/v2/alerts');
    expect(alertmanagerAlertsUrl('http://am:9093/api/v2/alerts')).toBe('http://am:9093/api/v2/alerts');
    const receiver = await startWebhookReceiver();
    try {
      await createAlertmanagerSink({ url: `${receiver.baseUrl}/am/`, activeForMs }).send([sampleNotification('a:1')]);
      expect(receiver.requests[0]!.path).toBe('/am/api/v2/alerts');
    } finally {
      await receiver.close();
    }
  });

  it('labels: AnomalyDetected, detector, severity, series and extra labels; __name__ as metric', () => {
    const labels = alertmanagerLabels(sampleNotification('a:1'));
    expect(labels).toEqual({
      alertname: 'AnomalyDetected',
      detector: 'latency',
      severity: 'critical',
      metric: 'http_latency_seconds',
      job: 'api',
      instance: 'a:1',
      team: 'sre',
    });
  });

  it('our own labels win over series labels of the same name', () => {
    const n = { ...sampleNotification('a:1'), labels: { alertname: 'Other', severity: 'info', 'k8s.pod-name': 'p', '9lives': 'x' } };
    const labels = alertmanagerLabels(n);
    expect(labels.alertname).toBe('AnomalyDetected');
    expect(labels.severity).toBe('critical');
    expect(labels.k8s_pod_name).toBe('p');
    expect(labels._9lives).toBe('x');
    for (const name of Object.keys(labels)) expect(name).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
    expect(sanitizeLabelName('__meta_x')).toBe('meta_x');
  });

  it('firing alerts stay active until after the next repeat; resolved ones end at the resolve time', () => {
    const firing = sampleNotification('a:1');
    const alert = alertmanagerAlert(firing, activeForMs);
    expect(alert.startsAt).toBe(new Date(firing.startsAtMs).toISOString());
    expect(Date.parse(alert.endsAt as string) - firing.atMs).toBe(255 * 60_000);
    expect(alert.generatorURL).toBe(firing.generatorUrl);
    expect(alert.annotations).toMatchObject({ summary: firing.summary, score: '0.83', threshold: '0.61', query: firing.query });
    const resolved = sampleNotification('a:1', 'resolved');
    expect(alertmanagerAlert(resolved, activeForMs).endsAt).toBe(new Date(resolved.endsAtMs!).toISOString());
  });

  it('rejects an invalid URL without quoting it', () => {
    expect(() => createAlertmanagerSink({ url: `not a url ${secretToken}`, activeForMs })).toThrow(/not a valid URL/);
    try {
      createAlertmanagerSink({ url: `not a url ${secretToken}`, activeForMs });
    } catch (error) {
      expect((error as Error).message).not.toContain(secretToken);
    }
  });
});
