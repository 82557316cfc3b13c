/**
 * The HTTP server over real sockets (127.0.0.1, ephemeral port), with the cycle handed in as
 * the server's own `runCycle` port: a function the test controls, so that "a cycle is running"
 * and "the cycle ignores the grace period" can be held exactly. The cycle against a real
 * Prometheus, webhook receiver and CLI process is test/integration/knative-serve.test.ts.
 */
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../../lib/log.js';
import type { RunSummary } from '../../../lib/run.js';
import { createDetectorServer, type CycleRequest, type DetectorServer, type MetricsExposition } from '../../../lib/serve/server.js';
import { runSummary } from '../../support/run-summary.js';

const pingHeaders = {
  'content-type': 'application/json',
  'ce-specversion': '1.0',
  'ce-id': 'ping-1',
  'ce-source': '/apis/v1/namespaces/aiops/pingsources/every-minute',
  'ce-type': 'dev.knative.sources.ping',
  'ce-time': '2026-11-24T04:00:00Z',
};
const clock = new Date('2026-11-24T06:30:00Z');


interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

function call(port: number, method: string, path: string, headers: Record<string, string> = {}, body = ''): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

let server: DetectorServer | undefined;
afterEach(async () => {
  await server?.shutdown(0);
  server = undefined;
});

async function start(
  runCycle: (request: CycleRequest) => Promise<RunSummary>,
  { metrics, ...options }: { maxBodyBytes?: number; metrics?: MetricsExposition } = {},
) {
  const logger = createMemoryLogger();
  const calls: CycleRequest[] = [];
  server = createDetectorServer(
    { detectorNames: ['latency', 'errors'], retryAfterSeconds: 7, ...options },
    {
      logger,
      ...(metrics ? { metrics } : {}),
      now: () => clock,
      runCycle: (request) => {
        calls.push(request);
        return runCycle(request);
      },
    },
  );
  const port = await server.listen(0, '127.0.0.1');
  return { port, calls, logger, server };
}

describe('detector server', () => {
  it('answers probes on /healthz and /readyz (GET and HEAD)', async () => {
    const { port } = await start(() => Promise.resolve(runSummary()));
    expect((await call(port, 'GET', '/healthz')).status).toBe(200);
    expect((await call(port, 'GET', '/readyz')).body).toEqual({ status: 'ok' });
    expect((await call(port, 'HEAD', '/healthz')).status).toBe(200);
  });

  it('runs one cycle for a PingSource event, as of the event time, and answers 200 with the summary', async () => {
    // Act
    const { port, calls } = await start(() => Promise.resolve(runSummary()));
    const response = await call(port, 'POST', '/', pingHeaders, '{"trigger":"schedule"}');

    // Assess
    expect(response.status).toBe(200);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.now.toISOString()).toBe('2026-11-24T04:00:00.000Z');
    expect(calls[0]!.detectors).toBeUndefined();
    expect(response.body).toMatchObject({
      event: { id: 'ping-1', type: 'dev.knative.sources.ping', time: '2026-11-24T04:00:00.000Z' },
      ok: true,
      series: 2,
      alertsSent: 1,
      outcomes: [{ name: 'latency', ok: true }],
    });
    expect(response.body.results).toBeUndefined();
  });

  it('runs a structured event without time as of the clock, with the detector subset it names', async () => {
    const { port, calls } = await start(() => Promise.resolve(runSummary()));
    const event = { specversion: '1.0', id: 'manual-1', source: 'ops', type: 'run', data: { detectors: ['errors'] } };
    const response = await call(port, 'POST', '/', { 'content-type': 'application/cloudevents+json' }, JSON.stringify(event));
    expect(response.status).toBe(200);
    expect(calls[0]!.now).toEqual(clock);
    expect(calls[0]!.detectors).toEqual(['errors']);
  });

  it('answers 500 with the summary when the run failed, and 500 when the cycle threw', async () => {
    const failed = runSummary({ ok: false, failures: 1, outcomes: [{ name: 'latency', ok: false, error: 'HTTP 500', series: 0, anomalies: 0 }] });
    const { port } = await start(() => Promise.resolve(failed));
    const response = await call(port, 'POST', '/', pingHeaders);
    expect(response.status).toBe(500);
    expect(response.body).toMatchObject({ ok: false, failures: 1, outcomes: [{ name: 'latency', error: 'HTTP 500' }] });

    await server!.shutdown(0);
    const thrower = await start(() => Promise.reject(new Error('state store unreachable')));
    const thrown = await call(thrower.port, 'POST', '/', pingHeaders);
    expect(thrown.status).toBe(500);
    expect(thrown.body.error).toMatch(/state store unreachable/);
  });

  it('refuses what is not a CloudEvent (400) and unknown detectors (400) without running anything', async () => {
    const { port, calls } = await start(() => Promise.resolve(runSummary()));
    const plain = await call(port, 'POST', '/', { 'content-type': 'application/json' }, '{}');
    expect(plain.status).toBe(400);
    expect(plain.body.error).toMatch(/not a CloudEvent/);
    const unknown = await call(port, 'POST', '/', pingHeaders, '{"detectors":["latency","nope"]}');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe("no detector named 'nope'; configured: latency, errors");
    expect(calls).toEqual([]);
  });

  it('answers GET /metrics with the exposition it is given, in its content type, and logs it at debug only', async () => {
    // Prepare
    const metrics: MetricsExposition = {
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      metrics: () => Promise.resolve('aiops_detector_runs_total{outcome="success"} 3\n'),
    };
    const { port, logger } = await start(() => Promise.resolve(runSummary()), { metrics });

    // Act
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    const head = await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'HEAD' });

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(metrics.contentType);
    expect(await response.text()).toBe('aiops_detector_runs_total{outcome="success"} 3\n');
    expect(head.status).toBe(200);
    expect((await call(port, 'POST', '/metrics')).headers.allow).toBe('GET, HEAD');
    expect(logger.diagnostics.filter((l) => l.path === '/metrics').map((l) => l.level)).toEqual(['debug', 'debug', 'info']);
  });

  it('answers 404 for unknown paths, 405 with Allow for wrong methods, 413 for a large body', async () => {
    const { port, calls } = await start(() => Promise.resolve(runSummary()), { maxBodyBytes: 1024 });
    expect((await call(port, 'GET', '/metrics')).status).toBe(404);
    const wrong = await call(port, 'GET', '/');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
    expect((await call(port, 'POST', '/healthz')).headers.allow).toBe('GET, HEAD');
    const large = await call(port, 'POST', '/', pingHeaders, JSON.stringify({ pad: 'x'.repeat(2048) }));
    expect(large.status).toBe(413);
    expect(calls).toEqual([]);
  });

  it('never overlaps cycles: an event during a cycle gets 429 with Retry-After; the next one after it runs', async () => {
    // Prepare
    const gate = deferred<RunSummary>();
    const { port, calls } = await start(() => gate.promise);

    // Act
    const first = call(port, 'POST', '/', pingHeaders);
    await expect.poll(() => calls.length).toBe(1);
    const second = await call(port, 'POST', '/', { ...pingHeaders, 'ce-id': 'ping-2' });
    gate.resolve(runSummary());
    const firstResponse = await first;
    const third = await call(port, 'POST', '/', { ...pingHeaders, 'ce-id': 'ping-3' });

    // Assess
    expect(second.status).toBe(429);
    expect(second.headers['retry-after']).toBe('7');
    expect(firstResponse.status).toBe(200);
    expect(third.status).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it('on shutdown lets the running cycle finish and answers it, then stops listening', async () => {
    // Prepare
    const gate = deferred<RunSummary>();
    const { port, calls, server: running } = await start(() => gate.promise);
    const response = call(port, 'POST', '/', pingHeaders);
    await expect.poll(() => calls.length).toBe(1);

    // Act
    const stopped = running.shutdown(10_000);
    setTimeout(() => gate.resolve(runSummary()), 50);

    // Assess
    expect(await stopped).toEqual({ cycleAborted: false });
    const answered = await response;
    expect(answered.status).toBe(200);
    expect(answered.headers.connection).toBe('close');
    expect(calls[0]!.signal.aborted).toBe(false);
    await expect(call(port, 'GET', '/healthz')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('aborts a cycle that outlasts the grace period and answers 503', async () => {
    // Prepare: a cycle that only ends when aborted, as runDetection does (skipping what is left).
    const { port, calls, server: running, logger } = await start(
      (request) =>
        new Promise((resolve) => {
          request.signal.addEventListener('abort', () => resolve(runSummary({ ok: false, skipped: ['latency'], failures: 1 })));
        }),
    );
    const response = call(port, 'POST', '/', pingHeaders);
    await expect.poll(() => calls.length).toBe(1);

    // Act
    const started = Date.now();
    const result = await running.shutdown(200);

    // Assess
    expect(result).toEqual({ cycleAborted: true });
    expect(Date.now() - started).toBeLessThan(2_000);
    const answered = await response;
    expect(answered.status).toBe(503);
    expect(answered.body).toMatchObject({ ok: false, skipped: ['latency'] });
    expect(logger.diagnostics).toContainEqual(expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/grace period over/) as string }));
  });
});
