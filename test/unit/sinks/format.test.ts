import { describe, expect, it } from 'vitest';
import { evaluateAlert } from '../../../lib/alerts/lifecycle.js';
import { notificationSummary, withSummary } from '../../../lib/sinks/format.js';
import type { NotificationFacts } from '../../../lib/sinks/sink.js';
import { detector, labels, t0 } from '../alerts/alert-fixtures.js';

const policy = { repeatIntervalMinutes: 240, resolveAfter: 2, sendResolved: true };

/** The lifecycle's firing notification for a newest point scoring 0.81 against 0.62. */
function firing(): NotificationFacts {
  const t = evaluateAlert(undefined, { labels, anomalous: true, score: 0.81, threshold: 0.62, value: 9.5 }, detector, policy, t0);
  return t.notifications[0]!;
}

describe('notificationSummary', () => {
  it("names the detector and the series of the lifecycle's notification", () => {
    const n = firing();
    expect(notificationSummary(n)).toContain('latency');
    expect(notificationSummary(n)).toContain('job="api"');
  });

  it('says what fired, what still fires and what resolved, with the numbers people read', () => {
    const n = firing();
    const series = '{__name__="http_latency_seconds",instance="a:9100",job="api"}';
    expect(notificationSummary(n)).toBe(`Anomaly: latency ${series}: score 0.81 >= threshold 0.62, value 9.5`);
    expect(notificationSummary({ ...n, kind: 'repeat' })).toBe(`Still anomalous: latency ${series}: score 0.81 >= threshold 0.62, value 9.5`);
    expect(notificationSummary({ ...n, kind: 'resolved' })).toBe(`Resolved: latency ${series} is back to normal`);
  });
});

describe('withSummary', () => {
  it('adds the summary after the times, before the end time and the link, as stored states have it', () => {
    const n = { ...firing(), kind: 'resolved' as const, endsAtMs: t0 + 60_000 };
    const queued = withSummary(n);
    expect(Object.keys(queued).slice(-4)).toEqual(['atMs', 'summary', 'endsAtMs', 'generatorUrl']);
    expect(queued).toEqual({ ...n, summary: notificationSummary(n) });
  });
});
