import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createWebhookSink, type WebhookPayload } from '../../../lib/sinks/webhook.js';
import { startWebhookReceiver } from '../../support/webhook-receiver.js';
import { describeSinkContract, sampleNotification } from './sink-contract.js';

describeSinkContract('webhook', {
  makeSink: (url, { logger, timeoutMs, retries, retry }) =>
    createWebhookSink({ url, timeoutMs, retries, retry, signingSecret: 'contract-signing-key' }, { logger, random: () => 0.5 }),
});

const sentAt = new Date(Date.UTC(2025, 4, 1, 9, 1, 0));

describe('generic webhook payload', () => {
  it('carries version 1 and every notification field with ISO times', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const sink = createWebhookSink({ url: `${receiver.baseUrl}/hook` }, { now: () => sentAt });
      const firing = sampleNotification('a:1');
      const resolved = sampleNotification('b:2', 'resolved');
      await sink.send([firing, resolved]);
      const payload = JSON.parse(receiver.requests[0]!.body) as WebhookPayload;
      expect(payload).toMatchObject({ version: 1, source: 'aiops-detector', sentAt: sentAt.toISOString() });
      expect(payload.notifications[0]).toEqual({
        id: firing.id,
        kind: 'firing',
        status: 'firing',
        detector: 'latency',
        seriesKey: firing.seriesKey,
        labels: firing.labels,
        extraLabels: { team: 'sre' },
        severity: 'critical',
        query: firing.query,
        score: 0.83,
        threshold: 0.61,
        value: 4.2,
        startsAt: new Date(firing.startsAtMs).toISOString(),
        endsAt: null,
        at: new Date(firing.atMs).toISOString(),
        generatorUrl: firing.generatorUrl,
        summary: firing.summary,
      });
      expect(payload.notifications[1]).toMatchObject({ status: 'resolved', endsAt: new Date(resolved.endsAtMs!).toISOString() });
      expect(receiver.requests[0]!.headers['x-signature-256']).toBeUndefined();
    } finally {
      await receiver.close();
    }
  });

  it('signs the raw body so a receiver can verify it with the shared secret', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const secret = 'whsec-0123456789';
      await createWebhookSink({ url: `${receiver.baseUrl}/hook`, signingSecret: secret }).send([sampleNotification('a:1')]);
      const { body, headers } = receiver.requests[0]!;
      const header = headers['x-signature-256'] as string;
      expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
      // Verification exactly as docs/alerts-and-sinks.md tells receivers to do it.
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
      expect(timingSafeEqual(Buffer.from(header), expected)).toBe(true);
      const forged = Buffer.from(`sha256=${createHmac('sha256', 'wrong').update(body).digest('hex')}`);
      expect(timingSafeEqual(Buffer.from(header), forged)).toBe(false);
    } finally {
      await receiver.close();
    }
  });
});
