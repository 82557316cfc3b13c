/**
 * Every sink renders the no-data kind (`absent`, detectors with `notifyAbsent`), both forms the
 * lifecycle makes: a firing series that stopped reporting (its alert ends) and the detector's
 * query returning no series (a detector-level alert, reserved series key `(query)`, no labels,
 * no numbers), and that alert's resolution. The notifications come from the lifecycle itself.
 */
import { describe, expect, it } from 'vitest';
import { evaluateAbsent, evaluateAlert, type AlertDetector } from '../../../lib/alerts/lifecycle.js';
import { evaluateQuery } from '../../../lib/alerts/query-presence.js';
import { alertmanagerAlert, noDataAlertName } from '../../../lib/sinks/alertmanager.js';
import { consoleLine } from '../../../lib/sinks/console.js';
import { kindCounts, withSummary } from '../../../lib/sinks/format.js';
import type { Notification } from '../../../lib/sinks/sink.js';
import { slackMessages } from '../../../lib/sinks/slack.js';
import { teamsMessages } from '../../../lib/sinks/teams.js';
import { webhookPayload } from '../../../lib/sinks/webhook.js';

const minuteMs = 60_000;
const t0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const labels = { job: 'api', instance: 'a:9100' };
const detector: AlertDetector = {
  name: 'latency',
  query: 'http_latency_seconds',
  severity: 'critical',
  labels: { team: 'sre' },
  forEvaluations: 1,
  prometheusUrl: 'http://prom.example:9090',
  notifyAbsent: true,
};
const policy = { repeatIntervalMinutes: 240, resolveAfter: 1, sendResolved: true };
const activeForMs = 255 * minuteMs;

/** A firing series that stopped reporting: its `absent` notification at t0 + 1 min. */
function seriesAbsent(): Notification {
  const fired = evaluateAlert(undefined, { labels, anomalous: true, score: 0.81, threshold: 0.62, value: 9.5 }, detector, policy, t0);
  return withSummary(evaluateAbsent({ ...fired.state, version: 1 }, detector, policy, t0 + minuteMs).notifications[0]!);
}

/** The query returned series at t0, none at t0 + 1 min (absent), some again at t0 + 5 min (resolved). */
function queryNotifications(): { absent: Notification; resolved: Notification } {
  const had = evaluateQuery(undefined, 2, detector, policy, t0)!;
  const none = evaluateQuery({ ...had.state, version: 1 }, 0, detector, policy, t0 + minuteMs)!;
  const back = evaluateQuery({ ...none.state, version: 2 }, 2, detector, policy, t0 + 5 * minuteMs)!;
  return { absent: withSummary(none.notifications[0]!), resolved: withSummary(back.notifications[0]!) };
}

describe('no-data notifications in every sink', () => {
  it('summaries say there is no data, not that all is well', () => {
    expect(seriesAbsent().summary).toBe(
      'No data: latency {instance="a:9100",job="api"} stopped reporting while firing; its alert ends without a verdict',
    );
    expect(queryNotifications().absent.summary).toBe('No data: latency: the query returned no series');
    expect(kindCounts([seriesAbsent(), queryNotifications().absent, queryNotifications().resolved])).toBe('2 no data, 1 resolved');
  });

  it('generic webhook: kind absent; status resolved for a series (its alert ends), firing for the query, whose numbers are null', () => {
    const { absent, resolved } = queryNotifications();
    const payload = webhookPayload([seriesAbsent(), absent, resolved], t0 + 6 * minuteMs);

    expect(payload.version).toBe(1);
    expect(payload.notifications[0]).toMatchObject({
      kind: 'absent',
      status: 'resolved',
      labels,
      score: 0.81,
      value: 9.5,
      startsAt: new Date(t0).toISOString(),
      endsAt: new Date(t0 + minuteMs).toISOString(),
    });
    expect(payload.notifications[1]).toEqual({
      id: `latency|(query)|absent|${t0 + minuteMs}`,
      kind: 'absent',
      status: 'firing',
      detector: 'latency',
      seriesKey: '(query)',
      labels: {},
      extraLabels: { team: 'sre' },
      severity: 'critical',
      query: 'http_latency_seconds',
      score: null,
      threshold: null,
      value: null,
      startsAt: new Date(t0 + minuteMs).toISOString(),
      endsAt: null,
      at: new Date(t0 + minuteMs).toISOString(),
      generatorUrl: 'http://prom.example:9090/graph?g0.expr=http_latency_seconds&g0.tab=0',
      summary: 'No data: latency: the query returned no series',
    });
    expect(payload.notifications[2]).toMatchObject({ kind: 'resolved', status: 'resolved', seriesKey: '(query)', endsAt: new Date(t0 + 5 * minuteMs).toISOString() });
  });

  it('Alertmanager: a series ends its AnomalyDetected alert; the query has its own alert, open until resolved', () => {
    const series = alertmanagerAlert(seriesAbsent(), activeForMs);
    expect(series).toMatchObject({
      labels: { alertname: 'AnomalyDetected', detector: 'latency', severity: 'critical', job: 'api', instance: 'a:9100', team: 'sre' },
      annotations: { summary: expect.stringContaining('No data: ') as string, score: '0.81', value: '9.5' },
      endsAt: new Date(t0 + minuteMs).toISOString(),
    });

    const { absent, resolved } = queryNotifications();
    const open = alertmanagerAlert(absent, activeForMs);
    expect(open).toEqual({
      labels: { alertname: noDataAlertName, detector: 'latency', severity: 'critical', team: 'sre' },
      annotations: { summary: 'No data: latency: the query returned no series', query: 'http_latency_seconds' },
      startsAt: new Date(t0 + minuteMs).toISOString(),
      endsAt: new Date(t0 + minuteMs + activeForMs).toISOString(),
      generatorURL: 'http://prom.example:9090/graph?g0.expr=http_latency_seconds&g0.tab=0',
    });
    const closed = alertmanagerAlert(resolved, activeForMs);
    expect(closed.labels).toEqual(open.labels);
    expect(closed.endsAt).toBe(new Date(t0 + 5 * minuteMs).toISOString());
  });

  it('Slack: NO DATA sections, counted as no data in the header; the query section names the query', () => {
    const [message] = slackMessages([seriesAbsent(), queryNotifications().absent]);
    const payload = message!.payload as { text: string; blocks: { type: string; text: { text: string } }[] };
    expect(payload.blocks[0]!.text.text).toBe('aiops-detector: 2 no data (latency)');
    const [series, query] = payload.blocks.slice(1).map((b) => b.text.text);
    expect(series).toContain(':grey_question: *NO DATA*');
    expect(series).toContain('stopped reporting while firing');
    expect(series).toContain('ended 2025-01-01T12:01:00.000Z');
    expect(query).toContain('query `http_latency_seconds`');
    expect(query).toContain('returned no series');
    expect(query).not.toContain('score');
    expect(payload.text).toContain('NO DATA latency query');
  });

  it('Teams: a NO DATA container; the query card has a query fact instead of numbers', () => {
    const [message] = teamsMessages([seriesAbsent(), queryNotifications().absent]);
    const body = (message!.payload as { attachments: { content: { body: { type: string; text?: string; items?: { type: string; text?: string; color?: string; facts?: { title: string; value: string }[] }[] }[] } }[] })
      .attachments[0]!.content.body;
    expect(body[0]!.text).toBe('aiops-detector: 2 no data (latency)');
    const [series, query] = body.filter((b) => b.type === 'Container').map((c) => c.items!);
    expect(series![0]).toMatchObject({ text: 'NO DATA: latency', color: 'Warning' });
    expect(series![2]!.facts!.map((f) => f.title)).toEqual(['instance', 'job', 'score', 'value', 'severity', 'since', 'ended', 'team']);
    expect(query![2]!.facts).toEqual([
      { title: 'query', value: 'http_latency_seconds' },
      { title: 'severity', value: 'critical' },
      { title: 'since', value: '2025-01-01T12:01:00.000Z' },
      { title: 'team', value: 'sre' },
    ]);
  });

  it('console: a NO DATA line for people', () => {
    expect(consoleLine(seriesAbsent())).toBe(
      '[NO DATA] critical latency {instance="a:9100", job="api"} stopped reporting while firing (last score 0.81, threshold 0.62, value 9.5), ' +
        '2025-01-01T12:00:00.000Z .. 2025-01-01T12:01:00.000Z http://prom.example:9090/graph?g0.expr=http_latency_seconds&g0.tab=0',
    );
    expect(consoleLine(queryNotifications().absent)).toBe(
      '[NO DATA] critical latency (query) the query returned no series, since 2025-01-01T12:01:00.000Z ' +
        'http://prom.example:9090/graph?g0.expr=http_latency_seconds&g0.tab=0',
    );
  });
});
