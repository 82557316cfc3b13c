/**
 * Nothing is lost: a webhook that refuses connections on one run gets the notification on the
 * next, exactly once. Each run builds its own file store and sink, as separate CLI invocations
 * would; the receiver is a real HTTP server that comes up between the runs.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchAlerts, type AlertSeries } from '../../lib/alerts/dispatch.js';
import { createFileStateStore } from '../../lib/alerts/file-state-store.js';
import type { AlertDetector } from '../../lib/alerts/lifecycle.js';
import { createMemoryLogger } from '../../lib/log.js';
import { createWebhookSink, type WebhookPayload } from '../../lib/sinks/webhook.js';
import { errorMessage } from '../../lib/errors.js';
import { freePort, startWebhookReceiver, type RecordedRequest, type WebhookReceiver } from '../support/webhook-receiver.js';

const token = 'hookTOKENs3cr3t987654321';
const minuteMs = 60_000;
const t0 = Date.UTC(2025, 6, 1, 10, 0, 0);
const detector: AlertDetector = { name: 'latency', query: 'http_latency_seconds', severity: 'critical', labels: {}, forEvaluations: 1 };
const spike: AlertSeries = { labels: { job: 'api', instance: 'a:9100' }, anomalous: true, score: 0.9, threshold: 0.6, last: 42 };
const calm: AlertSeries = { labels: { job: 'api', instance: 'b:9100' }, anomalous: false, score: 0.4, threshold: 0.6, last: 1 };

let dir: string;
let port: number;
let receiver: WebhookReceiver | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aiops-delivery-'));
  port = await freePort();
});
afterAll(async () => {
  await receiver?.close();
  await rm(dir, { recursive: true, force: true });
});

async function runOnce(minute: number, verdicts: AlertSeries[]) {
  const logger = createMemoryLogger();
  const url = `http://127.0.0.1:${port}/hooks/${token}`;
  const store = createFileStateStore({ path: join(dir, 'state.json') });
  const sink = createWebhookSink(
    { name: 'hook', url, retries: 2, timeoutMs: 2_000, retry: { baseDelayMs: 5, maxDelayMs: 50 } },
    { logger, now: () => new Date(t0 + minute * minuteMs) },
  );
  const summary = await dispatchAlerts(
    { detector, verdicts, nowMs: t0 + minute * minuteMs },
    { store, sinks: [sink], policy: { repeatIntervalMinutes: 240, resolveAfter: 2, sendResolved: true }, logger },
  );
  return { summary, logger };
}

describe('webhook delivery across runs', () => {
  it('keeps a notification pending while the receiver is down and delivers it once when it is back', async () => {
    // Run 1: nobody listens on the port.
    const first = await runOnce(0, [spike, calm]);
    expect(first.summary).toMatchObject({ notifications: 1, sent: 0, failed: 1, pending: 1 });
    expect(first.summary.series.map((s) => s.alert)).toEqual(['firing', 'none']);
    const stateText = await readFile(join(dir, 'state.json'), 'utf8');
    expect(stateText).toContain('ECONNREFUSED');
    expect(stateText).not.toContain(token);
    expect(first.logger.lines.join('\n')).not.toContain(token);
    expect(first.logger.diagnostics.some((d) => d.msg === 'delivery failed; kept pending for the next run')).toBe(true);

    // Run 2: the receiver is up; the series is still anomalous (no new notification).
    receiver = await startWebhookReceiver({ port });
    const second = await runOnce(1, [spike, calm]);
    expect(second.summary).toMatchObject({ notifications: 0, sent: 1, failed: 0, pending: 0 });
    expect(receiver.accepted()).toHaveLength(1);
    const payload = JSON.parse(receiver.accepted()[0]!.body) as WebhookPayload;
    expect(payload.notifications).toHaveLength(1);
    expect(payload.notifications[0]).toMatchObject({ kind: 'firing', labels: spike.labels, at: new Date(t0).toISOString() });

    // Run 3: nothing new, nothing resent.
    const third = await runOnce(2, [spike, calm]);
    expect(third.summary.sent).toBe(0);
    expect(receiver.requests).toHaveLength(1);

    // Runs 4-5: back to normal; the resolved notification arrives once, and the state is empty.
    await runOnce(3, [{ ...spike, anomalous: false }, calm]);
    const fifth = await runOnce(4, [{ ...spike, anomalous: false }, calm]);
    expect(fifth.summary.series[0]!.alert).toBe('resolved');
    expect(receiver.accepted().map((r) => (JSON.parse(r.body) as WebhookPayload).notifications[0]!.kind)).toEqual([
      'firing',
      'resolved',
    ]);
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { detectors: Record<string, unknown> };
    expect(state.detectors).toEqual({});
  });

  it('a 500 then 200 within one run is delivered exactly once', async () => {
    receiver ??= await startWebhookReceiver({ port });
    receiver.reset();
    receiver.enqueue({ status: 500 }, { status: 500 });
    const other: AlertSeries = { ...spike, labels: { job: 'api', instance: 'c:9100' } };
    const { summary } = await runOnce(10, [other]);
    expect(summary).toMatchObject({ sent: 1, failed: 0, pending: 0 });
    expect(receiver.requests).toHaveLength(3);
    expect(receiver.accepted()).toHaveLength(1);
  });
});

describe('signed webhook delivery across runs (Standard Webhooks)', () => {
  const signingSecret = `whsec_${Buffer.from('delivery-across-runs signing key').toString('base64')}`;
  const verifier = new Webhook(signingSecret);
  const headersOf = (r: RecordedRequest): Record<string, string> =>
    Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(r.headers[h])]));

  it('resends a failed batch in the next run with the same webhook-id and a new signed timestamp', async () => {
    // Prepare: a receiver that verifies with the reference library and fails the whole first
    // run (3 attempts); runs a minute apart ending now, so the verifier's clock accepts them.
    const rejections: string[] = [];
    const signed = await startWebhookReceiver({
      check: (request) => {
        try {
          verifier.verify(request.body, headersOf(request));
          return undefined;
        } catch (error) {
          rejections.push(errorMessage(error));
          return { status: 401 };
        }
      },
    });
    signed.enqueue({ status: 503 }, { status: 503 }, { status: 503 });
    const startMs = Date.now() - 2 * minuteMs;
    const store = createFileStateStore({ path: join(dir, 'signed-state.json') });
    const run = (minute: number) => {
      const nowMs = startMs + minute * minuteMs;
      const sink = createWebhookSink(
        { name: 'signed', url: `${signed.baseUrl}/hook`, signingSecret, retries: 2, timeoutMs: 2_000, retry: { baseDelayMs: 5, maxDelayMs: 50 } },
        { logger: createMemoryLogger(), now: () => new Date(nowMs) },
      );
      return dispatchAlerts({ detector, verdicts: [spike], nowMs }, { store, sinks: [sink], policy: { repeatIntervalMinutes: 240, resolveAfter: 2, sendResolved: true }, logger: createMemoryLogger() });
    };
    try {
      // Act
      const first = await run(0);
      const second = await run(1);

      // Assess: four requests of one batch, one id; the first run's share a timestamp, the
      // second run's is a minute later, and the one accepted verifies.
      expect(first).toMatchObject({ sent: 0, failed: 1, pending: 1 });
      expect(second).toMatchObject({ sent: 1, failed: 0, pending: 0 });
      expect(rejections).toEqual([]);
      expect(signed.requests.map((r) => r.status)).toEqual([503, 503, 503, 200]);
      expect(new Set(signed.requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
      const timestamps = signed.requests.map((r) => Number(r.headers['webhook-timestamp']));
      expect(timestamps.slice(0, 3)).toEqual([timestamps[0], timestamps[0], timestamps[0]]);
      expect(timestamps[3]).toBe(timestamps[0]! + 60);
      const accepted = signed.accepted()[0]!;
      expect(verifier.verify(accepted.body, headersOf(accepted))).toMatchObject({ notifications: [{ kind: 'firing' }] });
    } finally {
      await signed.close();
    }
  });
});
