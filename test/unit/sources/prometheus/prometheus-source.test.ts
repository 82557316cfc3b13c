/**
 * Faults and request details of the Prometheus source, against a local fake Prometheus
 * (test/support/fake-prometheus.ts) that fails on purpose: a real Prometheus will not answer
 * 500 twice then OK, hang, or send malformed JSON on demand. The happy paths run against the
 * real server in test/integration/prometheus-source.test.ts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PrometheusConfig } from '../../../../lib/config/config.js';
import { createMemoryLogger } from '../../../../lib/log.js';
import { SourceError } from '../../../../lib/sources/errors.js';
import { createPrometheusSource, type PrometheusSourceDeps } from '../../../../lib/sources/prometheus/prometheus-source.js';
import { errorBody, matrixBody, startFakePrometheus, type FakePrometheus } from '../../../support/fake-prometheus.js';

let fake: FakePrometheus;
let dir: string;

beforeAll(async () => {
  fake = await startFakePrometheus();
  dir = await mkdtemp(join(tmpdir(), 'aiops-source-test-'));
});

afterAll(async () => {
  await fake.stop();
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  fake.requests.length = 0;
  fake.handle((request) => ({ body: matrixBody([{ labels: { a: '1' }, values: [[Number(request.params.end), '1']] }]) }));
});

function source(overrides: Partial<PrometheusConfig> = {}, deps: PrometheusSourceDeps = {}) {
  return createPrometheusSource(
    { url: fake.url, auth: { type: 'none' }, headers: {}, timeoutMs: 2_000, retries: 3, ...overrides },
    { retry: { baseDelayMs: 5, maxDelayMs: 2_000 }, ...deps },
  );
}

const window = { query: 'up', startMs: 1_700_000_000_000, endMs: 1_700_000_600_000, stepSeconds: 60 };

async function failure(promise: Promise<unknown>): Promise<SourceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
}

describe('Prometheus source: requests', () => {
  it('sends a GET to /api/v1/query_range with step-aligned bounds in seconds', async () => {
    // Prepare
    const s = source();

    // Act
    await s.queryRange({ query: 'up{job="api"}', startMs: 1_700_000_012_345, endMs: 1_700_000_659_999, stepSeconds: 60 });

    // Assess
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request?.method).toBe('GET');
    expect(request?.path).toBe('/api/v1/query_range');
    expect(request?.params).toEqual({ query: 'up{job="api"}', start: '1699999980', end: '1700000640', step: '60' });
  });

  it('keeps a path prefix of the base URL', async () => {
    // Prepare
    const s = source({ url: `${fake.url}/prometheus/` });

    // Act
    await s.queryRange(window);

    // Assess
    expect(fake.requests[0]?.path).toBe('/prometheus/api/v1/query_range');
  });

  it('POSTs the form when the URL would be longer than 2,000 characters', async () => {
    // Prepare
    const query = `up{instance=~"${'x'.repeat(2_100)}"}`;

    // Act
    await source().queryRange({ ...window, query });

    // Assess
    expect(fake.requests[0]?.method).toBe('POST');
    expect(fake.requests[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(fake.requests[0]?.rawQuery).toBe('');
    expect(fake.requests[0]?.params.query).toBe(query);
  });

  it('splits a long window into requests of at most the point limit and joins them', async () => {
    // Prepare: a limit of 11 points per request, a 25-point window
    fake.handle((request) => {
      const start = Number(request.params.start);
      const end = Number(request.params.end);
      const values: [number, string][] = [];
      for (let t = start; t <= end; t += 60) values.push([t, String(t)]);
      return { body: matrixBody([{ labels: { a: '1' }, values }]) };
    });
    const s = source({}, { maxPointsPerRequest: 11 });

    // Act
    const [series] = await s.queryRange({ ...window, startMs: 1_700_000_000_000 - 60_000 * 4, endMs: 1_700_000_000_000 + 60_000 * 20 });

    // Assess
    expect(fake.requests).toHaveLength(3);
    for (const r of fake.requests) expect((Number(r.params.end) - Number(r.params.start)) / 60 + 1).toBeLessThanOrEqual(11);
    expect(series?.timestampsMs.length).toBe(25);
    expect(new Set(series?.timestampsMs).size).toBe(25);
  });

  it('sends bearer tokens from an env ref and extra headers, and never shows the token in errors', async () => {
    // Prepare
    const token = 'sekret-bearer-token-1234';
    fake.script([{ status: 401, body: errorBody('unauthorized', 'bad token') }]);
    const s = source(
      { auth: { type: 'bearer', token: { env: 'PROM_TOKEN' } }, headers: { 'X-Scope-OrgID': 'tenant-1' } },
      { env: { PROM_TOKEN: token } },
    );

    // Act
    const error = await failure(s.queryRange(window));

    // Assess
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${token}`);
    expect(fake.requests[0]?.headers['x-scope-orgid']).toBe('tenant-1');
    expect(error.message).not.toContain(token);
    expect(JSON.stringify({ ...error, cause: String(error.cause) })).not.toContain(token);
    expect(error.status).toBe(401);
  });

  it('sends basic auth with the password from a file ref', async () => {
    // Prepare
    const passwordFile = join(dir, 'password');
    await writeFile(passwordFile, 'p4ss-word\n');
    const s = source({ auth: { type: 'basic', username: 'reader', password: { file: passwordFile } } });

    // Act
    await s.queryRange(window);

    // Assess
    expect(fake.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('reader:p4ss-word').toString('base64')}`);
  });

  it('reports a missing token env var by name before sending anything', async () => {
    // Prepare
    const s = source({ auth: { type: 'bearer', token: { env: 'NOT_SET_TOKEN' } } }, { env: {} });

    // Act
    const error = await failure(s.queryRange(window));

    // Assess
    expect(fake.requests).toHaveLength(0);
    expect(error.message).toContain('NOT_SET_TOKEN');
    expect(error.retryable).toBe(false);
  });

  it('logs Prometheus warnings and still returns the series', async () => {
    // Prepare
    const logger = createMemoryLogger();
    fake.script([{ body: matrixBody([{ labels: { a: '1' }, values: [[1_700_000_000, '1']] }], ['query hit the sample limit']) }]);

    // Act
    const result = await source({}, { logger }).queryRange(window);

    // Assess
    expect(result).toHaveLength(1);
    expect(logger.diagnostics).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'prometheus warning', warning: 'query hit the sample limit' }),
    );
  });
});

describe('Prometheus source: faults', () => {
  it('retries a 500 and succeeds on the third attempt', async () => {
    // Prepare
    fake.script([{ status: 500, body: 'oops' }, { status: 503, body: errorBody('unavailable', 'busy') }]);
    const logger = createMemoryLogger();

    // Act
    const result = await source({}, { logger }).queryRange(window);

    // Assess
    expect(fake.requests).toHaveLength(3);
    expect(result).toHaveLength(1);
    expect(logger.diagnostics.filter((d) => d.msg === 'prometheus request retried')).toHaveLength(2);
  });

  it('gives up after the configured retries with the last status, retryable', async () => {
    // Prepare
    fake.script([], { status: 500, body: errorBody('internal', 'storage is broken') });

    // Act
    const error = await failure(source({ retries: 2 }).queryRange(window));

    // Assess
    expect(fake.requests).toHaveLength(3);
    expect(error.message).toContain('internal: storage is broken (HTTP 500 after 3 attempts)');
    expect(error.retryable).toBe(true);
  });

  it('does not retry a 422 and surfaces errorType and error as Prometheus sent them', async () => {
    // Prepare
    fake.script([{ status: 422, body: errorBody('execution', 'query processing would load too many samples into memory') }]);

    // Act
    const error = await failure(source().queryRange({ ...window, query: 'sum(rate(x[5m]))' }));

    // Assess
    expect(fake.requests).toHaveLength(1);
    expect(error.status).toBe(422);
    expect(error.errorType).toBe('execution');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      `prometheus ${fake.url} query "sum(rate(x[5m]))" failed: execution: query processing would load too many samples into memory (HTTP 422)`,
    );
  });

  it('waits for Retry-After on a 429 and then succeeds', async () => {
    // Prepare
    fake.script([{ status: 429, headers: { 'retry-after': '1' }, body: errorBody('too_many', 'slow down') }]);

    // Act
    await source().queryRange(window);

    // Assess
    expect(fake.requests).toHaveLength(2);
    const waitedMs = (fake.requests[1]?.atMs ?? 0) - (fake.requests[0]?.atMs ?? 0);
    expect(waitedMs).toBeGreaterThanOrEqual(950);
  });

  it('times out a request that hangs, per attempt, and says so', async () => {
    // Prepare
    fake.script([], { hang: true });
    const started = Date.now();

    // Act
    const error = await failure(source({ timeoutMs: 150, retries: 1 }).queryRange(window));

    // Assess
    expect(fake.requests).toHaveLength(2);
    expect(error.message).toMatch(/timed out after 2 attempts/);
    expect(error.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('stops at once when the signal aborts', async () => {
    // Prepare
    fake.script([], { hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('run cancelled')), 50);
    const started = Date.now();

    // Act
    const error = await failure(source({ timeoutMs: 5_000 }).queryRange(window, { signal: controller.signal }));

    // Assess
    expect(error.message).toMatch(/aborted \(run cancelled\)/);
    expect(fake.requests).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('reports malformed JSON clearly, without retrying', async () => {
    // Prepare
    fake.script([{ status: 200, body: '{"status":"success","data":' }]);

    // Act
    const error = await failure(source().queryRange(window));

    // Assess
    expect(fake.requests).toHaveLength(1);
    expect(error.message).toMatch(/the answer \(HTTP 200\) is not JSON/);
    expect(error.retryable).toBe(false);
  });

  it('reports an answer of the wrong shape (an instant vector)', async () => {
    // Prepare
    fake.script([{ body: { status: 'success', data: { resultType: 'vector', result: [] } } }]);

    // Act
    const error = await failure(source().queryRange(window));

    // Assess
    expect(error.message).toContain('unexpected answer: "data.resultType" is "vector", expected "matrix"');
  });
});
