/**
 * SigV4 signing for Amazon Managed Service for Prometheus, checked independently: a local
 * endpoint recomputes the signature of each received request with the `aws4` package (not the
 * SDK signer the source uses) and the same test credentials, compares it with the
 * Authorization header, and only then answers like Prometheus. AWS itself cannot be reached
 * here, so this endpoint stands in for the workspace.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrometheusConfig } from '../../lib/config/config.js';
import { configDefaults } from '../../lib/config/schema.js';
import { SourceError } from '../../lib/sources/errors.js';
import { createPrometheusSource } from '../../lib/sources/prometheus/prometheus-source.js';
import { readBody, verifySigV4, type SigV4Verdict } from '../support/sigv4-verifier.js';

/** The configuration's limits on an answer (prometheus.maxSeries, prometheus.maxResponseBytes). */
const limits = { maxSeries: configDefaults.prometheusMaxSeries, maxResponseBytes: configDefaults.prometheusMaxResponseBytes };

const region = 'eu-west-1';
const service = 'aps';
const serverCredentials = {
  accessKeyId: 'AKIDTESTEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYTESTKEY',
  sessionToken: 'test-session-token',
};

const verdicts: SigV4Verdict[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    void readBody(request).then((body) => {
      const verdict = verifySigV4(request, body, { service, region, credentials: serverCredentials });
      verdicts.push(verdict);
      if (!verdict.valid) {
        response.writeHead(403, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: 'The request signature we calculated does not match the signature you provided.' }));
        return;
      }
      const params = new URLSearchParams(request.method === 'POST' ? body : (request.url ?? '').split('?')[1]);
      const start = Number(params.get('start'));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          status: 'success',
          data: { resultType: 'matrix', result: [{ metric: { __name__: 'up', query: params.get('query') ?? '' }, values: [[start, '1']] }] },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/workspaces/ws-test`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function sigv4Config(): PrometheusConfig {
  return { url, auth: { type: 'sigv4', region, service }, headers: {}, timeoutMs: 5_000, retries: 0, ...limits };
}

const window = { startMs: 1_700_000_000_000, endMs: 1_700_000_600_000, stepSeconds: 60 };

describe('SigV4-signed queries (Amazon Managed Service for Prometheus)', () => {
  it('signs a GET that an independent verifier accepts, query characters included', async () => {
    // Prepare: a query with spaces, quotes, braces, a plus and a star
    verdicts.length = 0;
    const query = 'sum by (job) (rate(http_requests_total{job=~"api|web", code!="500"}[5m])) * 2 + 1';
    const source = createPrometheusSource(sigv4Config(), { credentials: () => Promise.resolve(serverCredentials) });

    // Act
    const result = await source.queryRange({ query, ...window });

    // Assess
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]).toMatchObject({ method: 'GET', path: '/workspaces/ws-test/api/v1/query_range', valid: true });
    expect(verdicts[0]?.signedHeaders).toContain('host');
    expect(verdicts[0]?.signedHeaders).toContain('x-amz-security-token');
    expect(result[0]?.labels.query).toBe(query);
  });

  it('signs a long query sent as a POST form, body included', async () => {
    // Prepare
    verdicts.length = 0;
    const query = `up{instance=~"${Array.from({ length: 300 }, (_, i) => `host-${i}`).join('|')}"}`;
    const source = createPrometheusSource(sigv4Config(), { credentials: () => Promise.resolve(serverCredentials) });

    // Act
    const result = await source.queryRange({ query, ...window });

    // Assess
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]).toMatchObject({ method: 'POST', valid: true });
    expect(verdicts[0]?.signedHeaders).toContain('content-type');
    expect(result[0]?.labels.query).toBe(query);
  });

  it('is rejected with a wrong secret key, reported as a non-retryable 403 without the key', async () => {
    // Prepare
    verdicts.length = 0;
    const wrong = { ...serverCredentials, secretAccessKey: 'not-the-right-secret-key-at-all' };
    const source = createPrometheusSource(sigv4Config(), { credentials: () => Promise.resolve(wrong) });

    // Act
    const error = await source.queryRange({ query: 'up', ...window }).catch((e: unknown) => e);

    // Assess
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]?.valid).toBe(false);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).status).toBe(403);
    expect((error as SourceError).retryable).toBe(false);
    expect((error as SourceError).message).not.toContain(wrong.secretAccessKey);
    expect(JSON.stringify(error)).not.toContain(wrong.secretAccessKey);
  });

  it('reports missing credentials as a clear error before sending anything', async () => {
    // Prepare
    verdicts.length = 0;
    const source = createPrometheusSource(sigv4Config(), {
      credentials: () => Promise.reject(new Error('Could not load credentials from any providers')),
    });

    // Act
    const error = await source.queryRange({ query: 'up', ...window }).catch((e: unknown) => e);

    // Assess
    expect(verdicts).toHaveLength(0);
    expect((error as SourceError).message).toMatch(/cannot sign the request \(SigV4\): Could not load credentials/);
  });
});
