import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import aws4 from 'aws4';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RemoteWriteError } from '../../../lib/remote-write/errors.js';
import { createRemoteWriter } from '../../../lib/remote-write/remote-writer.js';

// Amazon Managed Prometheus cannot be reached from here: a local server receives the signed
// request, and the signature is recomputed independently with the `aws4` package.
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const now = () => new Date('2026-01-01T12:00:00Z');

let server: Server;
let baseUrl: string;
const received: { path: string; headers: IncomingHttpHeaders; body: Buffer }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('remote write with SigV4', () => {
  it('signs the exact compressed bytes it sends, verifiable by an independent signer', async () => {
    // Prepare
    const writer = createRemoteWriter(
      { url: `${baseUrl}/workspaces/ws-123/api/v1/remote_write`, timeoutMs: 2000, retries: 0, auth: { type: 'sigv4', region: 'eu-west-1', service: 'aps' } },
      { credentials: () => Promise.resolve(credentials), now },
    );

    // Act
    await writer.write([{ labels: { __name__: 'aiops_anomaly_score', detector: 'd' }, value: 0.9, timestampMs: 1_767_268_800_000 }]);

    // Assess: payload hash of the received body, and the same signature from aws4.
    const [request] = received;
    expect(request!.path).toBe('/workspaces/ws-123/api/v1/remote_write');
    expect(request!.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(request!.body).digest('hex'));
    const authorization = String(request!.headers.authorization);
    expect(authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260101\/eu-west-1\/aps\/aws4_request, SignedHeaders=/);
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)![1]!.split(';');
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) headers[name] = String(request!.headers[name]);
    // aws4 takes the signing time from the clock when it may not add headers of its own.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(now());
    const expected = aws4.sign(
      { host: request!.headers.host, path: request!.path, method: 'POST', headers, body: request!.body, service: 'aps', region: 'eu-west-1', doNotModifyHeaders: true },
      credentials,
    );
    vi.useRealTimers();
    expect(authorization).toBe(expected.headers!.Authorization);
  });

  it('reports missing AWS credentials as a remote write error, before sending', async () => {
    const before = received.length;
    const writer = createRemoteWriter(
      { url: `${baseUrl}/workspaces/ws-123/api/v1/remote_write`, timeoutMs: 2000, retries: 0, auth: { type: 'sigv4', region: 'eu-west-1', service: 'aps' } },
      { credentials: () => Promise.reject(new Error('Could not load credentials from any providers')), now },
    );

    const write = writer.write([{ labels: { __name__: 'm' }, value: 1, timestampMs: 1 }]);

    await expect(write).rejects.toBeInstanceOf(RemoteWriteError);
    await expect(write).rejects.toThrow(/cannot sign the request \(SigV4\): Could not load credentials/);
    expect(received.length).toBe(before);
  });
});
