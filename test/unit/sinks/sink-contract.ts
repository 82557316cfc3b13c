/**
 * The contract every HTTP sink passes (slack, teams, alertmanager, webhook), against a real
 * local HTTP receiver: retry on 5xx and 429 (with Retry-After), none on other 4xx, network
 * errors and timeouts reported retryable, a batch in one request, and the webhook URL (a secret)
 * never in a log line, a failure reason or an error.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger, type Logger } from '../../../lib/log.js';
import type { AlertSink, Notification } from '../../../lib/sinks/sink.js';
import { freePort, startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';

export interface SinkFactoryOptions {
  logger: Logger;
  timeoutMs: number;
  retries: number;
  retry: { baseDelayMs: number; maxDelayMs: number };
}

export interface SinkContractOptions {
  /** Builds the sink under test for a webhook URL (base URL for Alertmanager). */
  makeSink: (url: string, options: SinkFactoryOptions) => AlertSink;
}

/** A path that looks like a Slack/Teams credential: it must never leak. */
export const secretToken = 'xoxbSECRETtoken0123456789abcdef';
const secretPath = `/services/T0SECRET1/B0SECRET2/${secretToken}`;

const t0 = Date.UTC(2025, 4, 1, 9, 0, 0);

/** A notification whose label values are distinctive enough to find in any payload. */
export function sampleNotification(instance: string, kind: Notification['kind'] = 'firing'): Notification {
  const labels = { __name__: 'http_latency_seconds', job: 'api', instance };
  const key = `{__name__="http_latency_seconds",instance="${instance}",job="api"}`;
  return {
    id: `latency|${key}|${kind}|${t0}`,
    kind,
    detector: 'latency',
    seriesKey: key,
    labels,
    severity: 'critical',
    extraLabels: { team: 'sre' },
    query: 'http_latency_seconds{job="api"}',
    score: 0.83,
    threshold: 0.61,
    value: 4.2,
    startsAtMs: t0,
    ...(kind === 'resolved' ? { endsAtMs: t0 + 300_000 } : {}),
    atMs: kind === 'resolved' ? t0 + 300_000 : t0,
    generatorUrl: 'http://prom.example:9090/graph?g0.expr=http_latency_seconds&g0.tab=0',
    summary: `Anomaly: latency ${instance}`,
  };
}

/** Registers the shared sink tests. */
export function describeSinkContract(name: string, options: SinkContractOptions): void {
  describe(`AlertSink contract: ${name}`, () => {
    let receiver: WebhookReceiver;
    let logger: ReturnType<typeof createMemoryLogger>;

    beforeAll(async () => {
      receiver = await startWebhookReceiver();
    });
    afterAll(async () => {
      await receiver.close();
    });
    afterEach(() => {
      receiver.reset();
      receiver.setDefault({ status: 200, body: 'ok' });
    });

    const sinkFor = (url: string, overrides: Partial<SinkFactoryOptions> = {}): AlertSink => {
      logger = createMemoryLogger();
      return options.makeSink(url, {
        logger,
        timeoutMs: 2_000,
        retries: 3,
        retry: { baseDelayMs: 5, maxDelayMs: 2_000 },
        ...overrides,
      });
    };
    const url = (): string => `${receiver.baseUrl}${secretPath}`;

    /** The secret appears nowhere a person or a log collector could see it. */
    const expectNoSecret = (texts: readonly string[]): void => {
      for (const text of texts) {
        expect(text).not.toContain(secretToken);
        expect(text).not.toContain('T0SECRET1');
        expect(text).not.toContain(url());
      }
    };

    it('has a name without the URL', () => {
      const sink = sinkFor(url());
      expect(sink.name.length).toBeGreaterThan(0);
      expectNoSecret([sink.name]);
    });

    it('delivers a batch of several series in one JSON POST', async () => {
      const sink = sinkFor(url());
      const batch = [sampleNotification('alpha-7f9c:9100'), sampleNotification('beta-3e1d:9100', 'resolved')];
      const result = await sink.send(batch);
      expect(result.failed).toEqual([]);
      expect(result.delivered.sort()).toEqual(batch.map((n) => n.id).sort());
      expect(receiver.requests).toHaveLength(1);
      const [request] = receiver.requests;
      expect(request!.method).toBe('POST');
      expect(request!.headers['content-type']).toMatch(/^application\/json/);
      expect(() => JSON.parse(request!.body) as unknown).not.toThrow();
      expect(request!.body).toContain('alpha-7f9c:9100');
      expect(request!.body).toContain('beta-3e1d:9100');
    });

    it('sends nothing for an empty batch', async () => {
      const sink = sinkFor(url());
      expect(await sink.send([])).toEqual({ delivered: [], failed: [] });
      expect(receiver.requests).toHaveLength(0);
    });

    it('retries a 500 and delivers exactly once when the receiver recovers', async () => {
      receiver.enqueue({ status: 500, body: 'oops' }, { status: 503 });
      const sink = sinkFor(url());
      const n = sampleNotification('gamma:9100');
      const result = await sink.send([n]);
      expect(result).toEqual({ delivered: [n.id], failed: [] });
      expect(receiver.requests).toHaveLength(3);
      expect(receiver.accepted()).toHaveLength(1);
      expectNoSecret(logger.lines);
    });

    it('honours Retry-After on a 429', async () => {
      receiver.enqueue({ status: 429, headers: { 'retry-after': '1' }, body: 'slow down' });
      const sink = sinkFor(url());
      const n = sampleNotification('delta:9100');
      const result = await sink.send([n]);
      expect(result.delivered).toEqual([n.id]);
      expect(receiver.requests).toHaveLength(2);
      const waitedMs = receiver.requests[1]!.receivedAtMs - receiver.requests[0]!.receivedAtMs;
      expect(waitedMs).toBeGreaterThanOrEqual(950);
      expect(waitedMs).toBeLessThan(3_000); // not the 2 s cap, with room for a busy CI machine
    });

    it('does not retry a 400 and reports it as not retryable, without echoing the URL', async () => {
      // A receiver that quotes the request URL in its error must not leak it through us.
      receiver.enqueue({ status: 400, body: `invalid_payload for ${url()} (${secretPath})` });
      const sink = sinkFor(url());
      const n = sampleNotification('epsilon:9100');
      const result = await sink.send([n]);
      expect(receiver.requests).toHaveLength(1);
      expect(result.delivered).toEqual([]);
      expect(result.failed).toHaveLength(1);
      expect(result.failed[0]).toMatchObject({ id: n.id, retryable: false });
      expect(result.failed[0]!.reason).toContain('400');
      expect(result.failed[0]!.reason).toContain('invalid_payload');
      expectNoSecret([result.failed[0]!.reason, ...logger.lines]);
    });

    it('reports a server that keeps failing as retryable after its retries', async () => {
      receiver.setDefault({ status: 502, body: 'bad gateway' });
      const sink = sinkFor(url(), { retries: 2 });
      const result = await sink.send([sampleNotification('zeta:9100')]);
      expect(receiver.requests).toHaveLength(3);
      expect(result.failed[0]).toMatchObject({ retryable: true });
      expect(result.failed[0]!.reason).toContain('502');
      expectNoSecret([result.failed[0]!.reason, ...logger.lines]);
    });

    it('reports connection refused as retryable, without the URL', async () => {
      const port = await freePort();
      const refusedUrl = `http://127.0.0.1:${port}${secretPath}`;
      const sink = sinkFor(refusedUrl, { retries: 1 });
      const result = await sink.send([sampleNotification('eta:9100')]);
      expect(result.delivered).toEqual([]);
      expect(result.failed[0]).toMatchObject({ retryable: true });
      expect(result.failed[0]!.reason).toMatch(/ECONNREFUSED/);
      expectNoSecret([result.failed[0]!.reason, ...logger.lines]);
      for (const text of [result.failed[0]!.reason, ...logger.lines]) expect(text).not.toContain(refusedUrl);
    });

    it('reports a receiver that never answers as a retryable timeout', async () => {
      receiver.setDefault({ hang: true });
      const sink = sinkFor(url(), { timeoutMs: 150, retries: 1 });
      const started = Date.now();
      const result = await sink.send([sampleNotification('theta:9100')]);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(receiver.requests).toHaveLength(2);
      expect(result.failed[0]).toMatchObject({ retryable: true, reason: 'timed out' });
      expectNoSecret([result.failed[0]!.reason, ...logger.lines]);
    });

    it('logs each retry with the sink name and reason, never the URL', async () => {
      receiver.enqueue({ status: 500 });
      const sink = sinkFor(url());
      await sink.send([sampleNotification('iota:9100')]);
      const retries = logger.diagnostics.filter((d) => d.msg === 'sink retry');
      expect(retries).toHaveLength(1);
      expect(retries[0]).toMatchObject({ sink: sink.name, reason: 'HTTP 500' });
      expectNoSecret(logger.lines);
    });
  });
}
