import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it, vi } from 'vitest';
import type { SinkConfig } from '../../../lib/config/config.js';
import { errorMessage, InputError } from '../../../lib/errors.js';
import { createMemoryLogger } from '../../../lib/log.js';
import { createSinks } from '../../../lib/sinks/create-sinks.js';
import { createWebhookSink, type WebhookPayload } from '../../../lib/sinks/webhook.js';
import { startWebhookReceiver, type RecordedRequest, type WebhookReceiver } from '../../support/webhook-receiver.js';
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

/** The Standard Webhooks headers of a recorded request, as a receiver hands them to its verifier. */
function standardHeaders(request: RecordedRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

/**
 * A real receiver that verifies every request with the reference implementation (npm
 * `standardwebhooks`) before accepting it, and answers 401 with the verifier's reason otherwise.
 */
async function startVerifyingReceiver(verifier: Webhook): Promise<{ receiver: WebhookReceiver; rejections: string[] }> {
  const rejections: string[] = [];
  const receiver = await startWebhookReceiver({
    check: (request) => {
      try {
        verifier.verify(request.body, standardHeaders(request));
        return undefined;
      } catch (error) {
        rejections.push(errorMessage(error));
        return { status: 401, body: errorMessage(error) };
      }
    },
  });
  return { receiver, rejections };
}

/** Verification by hand, as docs/alerts-and-sinks.md writes it for receivers without a library. */
function verifyByHand(rawBody: string, headers: RecordedRequest['headers'], secret: string, toleranceSeconds = 300): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  const ageSeconds = Date.now() / 1000 - Number(timestamp);
  if (!Number.isFinite(ageSeconds) || Math.abs(ageSeconds) > toleranceSeconds) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = Buffer.from(createHmac('sha256', key).update(`${id}.${timestamp}.${rawBody}`).digest('base64'));
  return signatures.split(' ').some((entry) => {
    const [version, signature = ''] = entry.split(',');
    const received = Buffer.from(signature);
    return version === 'v1' && received.length === expected.length && timingSafeEqual(received, expected);
  });
}

/** A Standard Webhooks secret: whsec_ and the base64 of 32 key bytes. */
const standardSecret = `whsec_${Buffer.from('aiops-detector standard key 0001').toString('base64')}`;
const minuteMs = 60_000;

describe('generic webhook signed per Standard Webhooks', () => {
  it('is accepted by the reference verifier (standardwebhooks) with a whsec_ secret', async () => {
    // Prepare: a receiver that verifies, and a sink whose clock is the real one (the verifier's).
    const { receiver, rejections } = await startVerifyingReceiver(new Webhook(standardSecret));
    try {
      const nowMs = Date.now();
      const sink = createWebhookSink({ url: `${receiver.baseUrl}/hook`, signingSecret: standardSecret }, { now: () => new Date(nowMs) });

      // Act
      const result = await sink.send([sampleNotification('a:1'), sampleNotification('b:2', 'resolved')]);

      // Assess: accepted, headers as the spec writes them, the verifier returns the payload.
      expect(rejections).toEqual([]);
      expect(result.failed).toEqual([]);
      expect(result.delivered).toHaveLength(2);
      const [request] = receiver.requests;
      expect(request!.headers['webhook-id']).toMatch(/^msg_[A-Za-z0-9_-]{43}$/);
      expect(request!.headers['webhook-timestamp']).toBe(String(Math.floor(nowMs / 1000)));
      expect(request!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      expect(new Webhook(standardSecret).verify(request!.body, standardHeaders(request!))).toEqual(JSON.parse(request!.body));
      expect(verifyByHand(request!.body, request!.headers, standardSecret)).toBe(true);
      expect(verifyByHand(`${request!.body} `, request!.headers, standardSecret)).toBe(false);
      // The deprecated header is still there, keyed by the secret string as configured.
      expect(request!.headers['x-signature-256']).toBe(`sha256=${createHmac('sha256', standardSecret).update(request!.body).digest('hex')}`);
    } finally {
      await receiver.close();
    }
  });

  it('keeps a plain-string secret working: its UTF-8 bytes are the key', async () => {
    // Prepare: a secret configured before Standard Webhooks, not ASCII on purpose.
    const plain = 'clé-de-signature-5u93r';
    const asStandard = `whsec_${Buffer.from(plain, 'utf8').toString('base64')}`;
    const { receiver, rejections } = await startVerifyingReceiver(new Webhook(asStandard));
    try {
      const sink = createWebhookSink({ url: `${receiver.baseUrl}/hook`, signingSecret: plain });

      // Act
      const result = await sink.send([sampleNotification('a:1')]);

      // Assess: the verifier given whsec_ + base64(UTF-8 bytes) accepts it, and so does one
      // given the bytes themselves; the old header still verifies as before.
      expect(rejections).toEqual([]);
      expect(result.failed).toEqual([]);
      const [request] = receiver.requests;
      const raw = new Webhook(new TextEncoder().encode(plain), { format: 'raw' });
      expect(() => raw.verify(request!.body, standardHeaders(request!))).not.toThrow();
      const expected = Buffer.from(`sha256=${createHmac('sha256', plain).update(request!.body).digest('hex')}`);
      expect(timingSafeEqual(Buffer.from(request!.headers['x-signature-256'] as string), expected)).toBe(true);
      const other = new Webhook(`whsec_${Buffer.from('another-secret', 'utf8').toString('base64')}`);
      expect(() => other.verify(request!.body, standardHeaders(request!))).toThrow(/No matching signature/);
    } finally {
      await receiver.close();
    }
  });

  it('cannot be replayed: an old timestamp is rejected, and a fresh one breaks the signature', async () => {
    // Prepare: a request signed 6 minutes ago (the verifier tolerates 5), captured on the way.
    const { receiver, rejections } = await startVerifyingReceiver(new Webhook(standardSecret));
    try {
      const signedAtMs = Date.now() - 6 * minuteMs;
      const sink = createWebhookSink(
        { url: `${receiver.baseUrl}/hook`, signingSecret: standardSecret, retries: 0 },
        { now: () => new Date(signedAtMs) },
      );

      // Act: deliver the old request, then replay it with its timestamp moved to now.
      const result = await sink.send([sampleNotification('a:1')]);
      const captured = receiver.requests[0]!;
      const refreshed = { ...standardHeaders(captured), 'webhook-timestamp': String(Math.floor(Date.now() / 1000)) };

      // Assess: the request was genuine when signed (the verifier's clock set back to then
      // accepts it); the receiver refused it for its age alone (401, not retryable), and the
      // refreshed replay does not verify either.
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        vi.setSystemTime(signedAtMs + 1_000);
        expect(() => new Webhook(standardSecret).verify(captured.body, standardHeaders(captured))).not.toThrow();
      } finally {
        vi.useRealTimers();
      }
      expect(rejections).toEqual(['Message timestamp too old']);
      expect(result.failed[0]).toMatchObject({ retryable: false });
      expect(result.failed[0]!.reason).toContain('401');
      expect(() => new Webhook(standardSecret).verify(captured.body, refreshed)).toThrow(/No matching signature/);
    } finally {
      await receiver.close();
    }
  });

  it('gives every attempt at the same batch the same webhook-id: a retry in one send and a resend in a later run', async () => {
    // Prepare: the receiver fails the first attempt; the sink's clock moves a minute between sends.
    const { receiver, rejections } = await startVerifyingReceiver(new Webhook(standardSecret));
    try {
      receiver.enqueue({ status: 500, body: 'try again' });
      let nowMs = Date.now() - 2 * minuteMs;
      const sink = createWebhookSink(
        { url: `${receiver.baseUrl}/hook`, signingSecret: standardSecret, retry: { baseDelayMs: 5, maxDelayMs: 50 } },
        { now: () => new Date(nowMs) },
      );
      const a = sampleNotification('a:1');
      const b = sampleNotification('b:2', 'resolved');

      // Act: one send (500, then retried), the same batch in a later run in another order, and
      // another batch.
      await sink.send([a, b]);
      nowMs += minuteMs;
      await sink.send([b, a]);
      await sink.send([a]);

      // Assess
      expect(rejections).toEqual([]);
      const [first, retry, resend, otherBatch] = receiver.requests;
      expect(receiver.requests.map((r) => r.status)).toEqual([500, 200, 200, 200]);
      expect(retry!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
      expect(retry!.headers['webhook-timestamp']).toBe(first!.headers['webhook-timestamp']);
      expect(resend!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
      expect(Number(resend!.headers['webhook-timestamp'])).toBe(Number(first!.headers['webhook-timestamp']) + 60);
      expect(otherBatch!.headers['webhook-id']).not.toBe(first!.headers['webhook-id']);
    } finally {
      await receiver.close();
    }
  });

  it('never puts the signing secret or its key in a log line, a failure reason or an error', async () => {
    const receiver = await startWebhookReceiver();
    try {
      // Prepare: a receiver that fails (a retry is logged, then a final 400), and a bad secret.
      receiver.enqueue({ status: 503 }, { status: 400, body: 'rejected' });
      const logger = createMemoryLogger();
      const key = Buffer.from(standardSecret.slice('whsec_'.length), 'base64');
      const badSecret = 'whsec_not*base64*5u93r53cr37';
      const secretForms = [standardSecret, standardSecret.slice('whsec_'.length), key.toString('hex'), key.toString('utf8'), badSecret, '5u93r53cr37'];
      const sink = createWebhookSink(
        { url: `${receiver.baseUrl}/hook`, signingSecret: standardSecret, retry: { baseDelayMs: 5, maxDelayMs: 50 } },
        { logger },
      );

      // Act
      const result = await sink.send([sampleNotification('a:1')]);
      let thrown: unknown;
      try {
        createWebhookSink({ url: `${receiver.baseUrl}/hook`, signingSecret: badSecret });
      } catch (error) {
        thrown = error;
      }
      const configured: SinkConfig[] = [
        { name: 'signed', type: 'webhook', url: { env: 'HOOK_URL' }, signingSecret: { env: 'HOOK_KEY' }, timeoutMs: 2_000, retries: 0 },
      ];
      const built = await createSinks(
        { sinks: configured, repeatIntervalMinutes: 240 },
        { logger, secrets: { env: { HOOK_URL: `${receiver.baseUrl}/hook`, HOOK_KEY: badSecret } } },
      );

      // Assess
      expect(result.failed[0]).toMatchObject({ retryable: false });
      expect(logger.diagnostics.some((d) => d.msg === 'sink retry')).toBe(true);
      expect(thrown).toBeInstanceOf(InputError);
      expect(errorMessage(thrown)).toMatch(/not base64/);
      expect(built.sinks.map((s) => s.name)).toEqual(['signed']);
      expect(logger.lines.join('\n')).toMatch(/not base64/);
      for (const text of [...logger.lines, result.failed[0]!.reason, errorMessage(thrown)]) {
        for (const form of secretForms) expect(text).not.toContain(form);
      }
    } finally {
      await receiver.close();
    }
  });
});
