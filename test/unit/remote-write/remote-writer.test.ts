import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors.js';
import { RemoteWriteError } from '../../../lib/remote-write/errors.js';
import { createRemoteWriter, remoteWriteUrlFor, type RequestSigner } from '../../../lib/remote-write/remote-writer.js';
import { decodeWriteRequestBody, type TimeSeries } from '../../../lib/remote-write/write-request.js';
import { rejection } from '../../support/rejection.js';

// A local receiver that records what it gets and answers with scripted statuses; the real
// Prometheus receiver is exercised in test/integration/remote-write.test.ts.
interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  series: TimeSeries[];
}
let server: Server;
let baseUrl: string;
let received: Received[] = [];
let script: { status: number; body?: string; headers?: Record<string, string> }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ path: req.url ?? '', headers: req.headers, series: decodeWriteRequestBody(body) });
      const answer = script.shift() ?? { status: 204 };
      res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received = [];
  script = [];
});

const sample = (job: string, value = 1) => ({ labels: { __name__: 'aiops_anomaly_score', job }, value, timestampMs: 1_700_000_000_000 });
const fast = { random: () => 0 };

describe('createRemoteWriter', () => {
  it('posts snappy protobuf with the remote write 1.0 headers', async () => {
    // Prepare
    const writer = createRemoteWriter({ url: `${baseUrl}/api/v1/write`, timeoutMs: 2000, retries: 0, headers: { 'X-Scope-OrgID': 'team-a' } });

    // Act
    const result = await writer.write([sample('api', 0.7), sample('db', 0.2)]);

    // Assess
    expect(result).toEqual({ samples: 2, series: 2, requests: 1 });
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request!.path).toBe('/api/v1/write');
    expect(request!.headers['content-encoding']).toBe('snappy');
    expect(request!.headers['content-type']).toBe('application/x-protobuf');
    expect(request!.headers['x-prometheus-remote-write-version']).toBe('0.1.0');
    expect(request!.headers['x-scope-orgid']).toBe('team-a');
    expect(request!.series.map((s) => [s.labels.find((l) => l.name === 'job')!.value, s.samples[0]!.value])).toEqual([
      ['api', 0.7],
      ['db', 0.2],
    ]);
  });

  it('retries a 503 and a 429, then succeeds', async () => {
    script = [{ status: 503 }, { status: 429, headers: { 'Retry-After': '0' } }, { status: 204 }];
    const retries: string[] = [];
    const writer = createRemoteWriter(
      { url: `${baseUrl}/api/v1/write`, timeoutMs: 2000, retries: 3 },
      { ...fast, onRetry: (info) => retries.push(info.reason) },
    );

    await writer.write([sample('api')]);

    expect(received).toHaveLength(3);
    expect(retries).toEqual(['HTTP 503', 'HTTP 429']);
  });

  it('does not retry a 400 and says the samples were out of order', async () => {
    script = [{ status: 400, body: 'out of order sample\n' }];
    const writer = createRemoteWriter({ url: `${baseUrl}/api/v1/write`, timeoutMs: 2000, retries: 3 }, fast);

    const error = await rejection<RemoteWriteError>(writer.write([sample('api')]));

    expect(received).toHaveLength(1);
    expect(error).toBeInstanceOf(RemoteWriteError);
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(400);
    expect(error.message).toContain('HTTP 400 out of order sample');
    expect(error.message).toContain('not retried');
  });

  it('reports a 5xx that persists as retryable after the configured retries', async () => {
    script = [{ status: 500 }, { status: 502 }, { status: 503 }];
    const writer = createRemoteWriter({ url: `${baseUrl}/api/v1/write`, timeoutMs: 2000, retries: 2 }, fast);

    const error = await rejection<RemoteWriteError>(writer.write([sample('api')]));

    expect(received).toHaveLength(3);
    expect(error.retryable).toBe(true);
    expect(error.status).toBe(503);
  });

  it('sends a bearer token but never puts it in an error or its cause', async () => {
    const token = 'tok-9f8e7d6c5b4a';
    script = [{ status: 401, body: `invalid token ${token}` }];
    const writer = createRemoteWriter(
      { url: `${baseUrl}/api/v1/write`, timeoutMs: 2000, retries: 0, auth: { type: 'bearer', token: { env: 'PROM_TOKEN' } } },
      { resolveSecret: (ref) => Promise.resolve('env' in ref && ref.env === 'PROM_TOKEN' ? token : '') },
    );

    const error = await rejection<RemoteWriteError>(writer.write([sample('api')]));

    expect(received[0]!.headers.authorization).toBe(`Bearer ${token}`);
    expect(error.message).toContain('HTTP 401');
    const everything = `${error.message} ${String(error.stack)} ${JSON.stringify(error)} ${String((error.cause as Error | undefined)?.message)}`;
    expect(everything).not.toContain(token);
  });

  it('sends basic auth', async () => {
    const writer = createRemoteWriter(
      { url: `${baseUrl}/api/v1/write`, timeoutMs: 2000, retries: 0, auth: { type: 'basic', username: 'writer', password: { value: 'pa55word' } } },
    );

    await writer.write([sample('api')]);

    expect(received[0]!.headers.authorization).toBe(`Basic ${Buffer.from('writer:pa55word').toString('base64')}`);
  });

  it('hands SigV4 requests to the injected signer and sends its headers', async () => {
    const seen: { region: string; service: string; bodyBytes: number; url: string }[] = [];
    const sign: RequestSigner = (request, options) => {
      seen.push({ region: options.region, service: options.service, bodyBytes: request.body.byteLength, url: request.url });
      return Promise.resolve({ ...request.headers, Authorization: 'AWS4-HMAC-SHA256 Credential=test' });
    };
    const writer = createRemoteWriter(
      { url: `${baseUrl}/workspaces/ws-1/api/v1/remote_write`, timeoutMs: 2000, retries: 0, auth: { type: 'sigv4', region: 'eu-west-1', service: 'aps' } },
      { sign },
    );

    await writer.write([sample('api')]);

    expect(seen).toEqual([{ region: 'eu-west-1', service: 'aps', bodyBytes: expect.any(Number) as number, url: `${baseUrl}/workspaces/ws-1/api/v1/remote_write` }]);
    expect(seen[0]!.bodyBytes).toBeGreaterThan(0);
    expect(received[0]!.headers.authorization).toBe('AWS4-HMAC-SHA256 Credential=test');
    expect(received[0]!.headers['content-encoding']).toBe('snappy');
  });

  it('splits large writes into requests of at most maxSamplesPerRequest samples', async () => {
    const writer = createRemoteWriter({ url: `${baseUrl}/api/v1/write`, timeoutMs: 2000, retries: 0, maxSamplesPerRequest: 2 });
    const samples = ['a', 'b', 'c', 'd', 'e'].map((job) => sample(job));

    const result = await writer.write(samples);

    expect(result.requests).toBe(3);
    expect(received.map((r) => r.series.reduce((n, s) => n + s.samples.length, 0))).toEqual([2, 2, 1]);
    const jobs = received.flatMap((r) => r.series.map((s) => s.labels.find((l) => l.name === 'job')!.value));
    expect(jobs).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('sends no request for an empty write (a cycle that scored nothing)', async () => {
    const writer = createRemoteWriter({ url: `${baseUrl}/api/v1/write`, timeoutMs: 2000, retries: 0 });

    expect(await writer.write([])).toEqual({ samples: 0, series: 0, requests: 0 });
    expect(received).toHaveLength(0);
  });

  it('sends nothing when a sample cannot be encoded', async () => {
    const writer = createRemoteWriter({ url: `${baseUrl}/api/v1/write`, timeoutMs: 2000, retries: 0 });

    await expect(writer.write([sample('api'), { labels: { job: 'no-name' }, value: 1, timestampMs: 1 }])).rejects.toBeInstanceOf(InputError);
    expect(received).toHaveLength(0);
  });

  it('reports a refused connection as retryable without the URL path', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const writer = createRemoteWriter({ url: `http://127.0.0.1:${port}/secret-path/api/v1/write`, timeoutMs: 1000, retries: 0 });

    const error = await rejection<RemoteWriteError>(writer.write([sample('api')]));

    expect(error.retryable).toBe(true);
    expect(error.message).toContain('ECONNREFUSED');
    expect(`${error.message} ${String((error.cause as Error).message)}`).not.toContain('secret-path');
  });
});

describe('remoteWriteUrlFor', () => {
  it('maps a Prometheus query URL to its remote write receiver, keeping a path prefix', () => {
    expect(remoteWriteUrlFor('http://prometheus-operated.monitoring.svc:9090')).toBe('http://prometheus-operated.monitoring.svc:9090/api/v1/write');
    expect(remoteWriteUrlFor('https://example.test/prometheus/')).toBe('https://example.test/prometheus/api/v1/write');
  });

  it('maps an Amazon Managed Prometheus workspace URL to remote_write', () => {
    expect(remoteWriteUrlFor('https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1234')).toBe(
      'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1234/api/v1/remote_write',
    );
  });
});
