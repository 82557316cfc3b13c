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
import { configDefaults } from '../../../../lib/config/schema.js';
import { createMemoryLogger } from '../../../../lib/log.js';
import { SourceError } from '../../../../lib/sources/errors.js';
import { createPrometheusSource, type PrometheusSourceDeps } from '../../../../lib/sources/prometheus/prometheus-source.js';
import {
  errorBody,
  matrixBody,
  startFakePrometheus,
  type FakePrometheus,
  type FakeReply,
  type RecordedRequest,
} from '../../../support/fake-prometheus.js';

/** The configuration's limits on an answer (prometheus.maxSeries, prometheus.maxResponseBytes). */
const limits = { maxSeries: configDefaults.prometheusMaxSeries, maxResponseBytes: configDefaults.prometheusMaxResponseBytes };

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
    { url: fake.url, auth: { type: 'none' }, headers: {}, timeoutMs: 2_000, retries: 3, ...limits, ...overrides },
    { retry: { baseDelayMs: 5, maxDelayMs: 2_000 }, ...deps },
  );
}

const window = { query: 'up', startMs: 1_700_000_000_000, endMs: 1_700_000_600_000, stepSeconds: 60 };
/** A range of a single point: an answer over maxResponseBytes cannot be read in halves. */
const onePoint = { ...window, startMs: window.endMs };

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

/** `count` series `s{i="<n>"}` of `points` samples each, as a `query_range` answer. */
function manySeries(count: number, points: number): unknown {
  return matrixBody(
    Array.from({ length: count }, (_, i) => ({
      labels: { __name__: 's', i: String(i) },
      values: Array.from({ length: points }, (_, p) => [1_700_000_000 + p * 60, String(i + p / 10)] as const),
    })),
  );
}

describe('Prometheus source: answer limits', () => {
  it('fails an answer of more series than maxSeries, names the query, the limit and its key, and stops reading', async () => {
    // Prepare: 2,000 series (about 2.5 MB: an answer below 1 MB is read whole before it is
    // checked, matrix-stream.ts) sent in 16 KB pieces, 1 ms apart
    fake.script([{ body: manySeries(2_000, 60), pieceBytes: 16_384, pieceDelayMs: 1 }]);

    // Act
    const error = await failure(source({ maxSeries: 100 }).queryRange({ ...window, query: 'sum by (i) (s)' }));

    // Assess
    expect(error.message).toBe(
      `prometheus ${fake.url} query "sum by (i) (s)": the answer has more than 100 series (limit prometheus.maxSeries); narrow or aggregate the query, or raise the limit`,
    );
    expect(error.retryable).toBe(false);
    expect(fake.requests).toHaveLength(1);
    const reply = fake.requests[0]!.reply;
    await reply.done;
    expect(reply.closedEarly).toBe(true);
    expect(reply.bytesWritten).toBeLessThan(reply.bodyBytes / 2);
  });

  it('fails a one-point answer larger than maxResponseBytes while it streams, and stops reading', async () => {
    // Prepare: about 1 MB, no Content-Length, for a range of one point (which has no halves)
    fake.script([{ body: manySeries(500, 40), pieceBytes: 8_192, pieceDelayMs: 1 }]);

    // Act
    const error = await failure(source({ maxResponseBytes: 100_000 }).queryRange(onePoint));

    // Assess
    expect(error.message).toBe(
      `prometheus ${fake.url} query "up": the answer is larger than 100000 bytes (limit prometheus.maxResponseBytes); narrow or aggregate the query, or raise the limit`,
    );
    expect(error.retryable).toBe(false);
    expect(fake.requests).toHaveLength(1);
    const reply = fake.requests[0]!.reply;
    await reply.done;
    expect(reply.closedEarly).toBe(true);
    expect(reply.bytesWritten).toBeLessThan(reply.bodyBytes / 2);
  });

  it('fails a one-point answer whose Content-Length is over maxResponseBytes before reading it, with its size', async () => {
    // Prepare
    const text = JSON.stringify(manySeries(20_000, 1));
    fake.script([{ body: text, headers: { 'content-length': String(Buffer.byteLength(text)) } }]);

    // Act
    const error = await failure(source({ maxResponseBytes: 1_000_000 }).queryRange(onePoint));

    // Assess
    expect(error.message).toContain(
      `: the answer is ${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB (Content-Length), larger than 1 MB (limit prometheus.maxResponseBytes)`,
    );
    expect(error.retryable).toBe(false);
  });

  it('reads an answer at both limits', async () => {
    // Prepare
    const text = JSON.stringify(manySeries(20, 3));
    fake.script([{ body: text }]);

    // Act
    const result = await source({ maxSeries: 20, maxResponseBytes: Buffer.byteLength(text) }).queryRange(window);

    // Assess
    expect(result).toHaveLength(20);
  });
});

/**
 * An answer of series `m{s="<name>"}` on the request's own grid (as Prometheus would), each point
 * valued `value(unix seconds, index of the request)`, so a test can tell which request a point
 * came from.
 */
function gridAnswer(
  request: RecordedRequest,
  index: number,
  names: readonly string[],
  value: (t: number, index: number) => number = (t) => t,
): unknown {
  const start = Number(request.params.start);
  const end = Number(request.params.end);
  const step = Number(request.params.step);
  return matrixBody(
    names.map((name) => {
      const values: [number, string][] = [];
      for (let t = start; t <= end; t += step) values.push([t, String(value(t, index))]);
      return { labels: { __name__: 'm', s: name }, values };
    }),
  );
}

/** The byte length of {@link gridAnswer} for the range `[startS, endS]` at 60 s. */
function gridBytes(startS: number, endS: number, names: readonly string[]): number {
  const params = { start: String(startS), end: String(endS), step: '60' };
  return Buffer.byteLength(JSON.stringify(gridAnswer({ params } as unknown as RecordedRequest, 0, names)));
}

/** `[start, end]` of every request so far, in unix seconds. */
function requestedRanges(): [number, number][] {
  return fake.requests.map((r) => [Number(r.params.start), Number(r.params.end)]);
}

function byName(series: readonly { labels: Record<string, string> }[]): string[] {
  return series.map((x) => x.labels.s ?? '');
}

describe('Prometheus source: an answer over maxResponseBytes is read in halves', () => {
  // 11 points on whole minutes, so the requests' bounds are the window's own
  const startS = 28_333_333 * 60;
  const endS = startS + 10 * 60;
  const window = { query: 'up', startMs: startS * 1000, endMs: endS * 1000, stepSeconds: 60 };
  const names = Array.from({ length: 20 }, (_, i) => `series-${String(i).padStart(2, '0')}`);

  it('asks for the two halves of the range instead, joins them, and logs one warn line', async () => {
    // Prepare: 11 points; each half (6 and 5 points) fits the limit, the whole does not
    const limit = gridBytes(startS, startS + 5 * 60, names);
    expect(gridBytes(startS, endS, names)).toBeGreaterThan(limit);
    const reply = (request: RecordedRequest, index: number): FakeReply => ({ body: gridAnswer(request, index, names), pieceBytes: 512 });
    fake.handle(reply);
    const whole = await source().queryRange(window);
    fake.requests.length = 0;
    const logger = createMemoryLogger();

    // Act
    const pieces = await source({ maxResponseBytes: limit }, { logger }).queryRange(window);

    // Assess
    expect(requestedRanges()).toEqual([
      [startS, endS],
      [startS, startS + 5 * 60],
      [startS + 6 * 60, endS],
    ]);
    expect(pieces).toEqual(whole);
    const splits = logger.diagnostics.filter((d) => d.msg === 'prometheus answer over maxResponseBytes; reading the range in two halves');
    expect(splits).toEqual([
      expect.objectContaining({
        level: 'warn',
        source: `prometheus ${fake.url}`,
        query: 'up',
        start: new Date(window.startMs).toISOString(),
        end: new Date(window.endMs).toISOString(),
        stepSeconds: 60,
        maxResponseBytes: limit,
      }),
    ]);
  });

  it('halves a range whose answer announces a Content-Length over the limit, without reading it', async () => {
    // Prepare
    const limit = gridBytes(startS, startS + 5 * 60, names);
    fake.handle((request, index) => {
      const text = JSON.stringify(gridAnswer(request, index, names));
      return { body: text, headers: { 'content-length': String(Buffer.byteLength(text)) } };
    });
    const whole = await source().queryRange(window);
    fake.requests.length = 0;

    // Act
    const pieces = await source({ maxResponseBytes: limit }).queryRange(window);

    // Assess
    expect(fake.requests).toHaveLength(3);
    expect(pieces).toEqual(whole);
  });

  it('keeps a series read whole before the cut once, and takes the series cut half-way from the halves, whole', async () => {
    // Prepare: series a, b, c; each point's value tells the request it came from (index * 1000 +
    // minutes into the window). The whole range's answer goes out in two pieces 50 ms apart: up
    // to c's entry (a and b whole, within the limit), then the rest, which crosses the limit
    // inside c's entry. So a and b are read whole before the cut and c is cut half-way.
    const abc = ['a', 'b', 'c'];
    const value = (t: number, index: number): number => index * 1000 + (t - startS) / 60;
    const params = { start: String(startS), end: String(endS), step: '60' };
    const wholeText = JSON.stringify(gridAnswer({ params } as unknown as RecordedRequest, 0, abc, value));
    const cStarts = wholeText.indexOf('{"metric":{"__name__":"m","s":"c"}');
    const limit = cStarts + 40;
    fake.handle((request, index) => ({ body: gridAnswer(request, index, abc, value), pieceBytes: cStarts, pieceDelayMs: 50 }));
    const logger = createMemoryLogger();

    // Act: every answer streamed (a small one is otherwise parsed whole once complete, and then
    // nothing of a cut answer is kept)
    const result = await source({ maxResponseBytes: limit }, { logger, parseWholeMaxBytes: 0 }).queryRange(window);

    // Assess: three requests (the cut one and its halves), one warn line
    expect(requestedRanges()).toEqual([
      [startS, endS],
      [startS, startS + 5 * 60],
      [startS + 6 * 60, endS],
    ]);
    expect(logger.diagnostics.filter((d) => d.level === 'warn')).toHaveLength(1);
    // Each series once, every point of the window once
    expect(byName(result)).toEqual(abc);
    const grid = Array.from({ length: 11 }, (_, p) => window.startMs + p * 60_000);
    for (const s of result) expect(Array.from(s.timestampsMs)).toEqual(grid);
    // a and b from the cut answer (request 0), c from the halves (requests 1 and 2)
    const minutes = Array.from({ length: 11 }, (_, p) => p);
    expect(Array.from(result[0]!.values)).toEqual(minutes);
    expect(Array.from(result[1]!.values)).toEqual(minutes);
    expect(Array.from(result[2]!.values)).toEqual(minutes.map((p) => (p <= 5 ? 1000 + p : 2000 + p)));
  });

  it('halves again while a half is still over, and fails with the limit error only at a single point', async () => {
    // Prepare: every answer is about 1 MB, whatever the range
    fake.script([], { body: manySeries(500, 40), pieceBytes: 8_192 });
    const logger = createMemoryLogger();

    // Act
    const error = await failure(source({ maxResponseBytes: 100_000 }, { logger }).queryRange(window));

    // Assess: 11 points, then 6, 3, 2 and 1 (the first half each time)
    expect(error.message).toBe(
      `prometheus ${fake.url} query "up": the answer is larger than 100000 bytes (limit prometheus.maxResponseBytes); narrow or aggregate the query, or raise the limit`,
    );
    expect(error.retryable).toBe(false);
    expect(requestedRanges()).toEqual([
      [startS, endS],
      [startS, startS + 5 * 60],
      [startS, startS + 2 * 60],
      [startS, startS + 60],
      [startS, startS],
    ]);
    expect(logger.diagnostics.filter((d) => d.level === 'warn')).toHaveLength(4);
  });

  it('halves only the request of a long window that is over, and the 11,000-point split stays', async () => {
    // Prepare: at most 11 points per request (as 11,000 in production), a 25-point window;
    // 11-point answers are over the limit, 6-point ones fit
    const one = ['x'];
    fake.handle((request, index) => ({ body: gridAnswer(request, index, one) }));
    const limit = gridBytes(startS, startS + 5 * 60, one);
    const long = { ...window, endMs: window.startMs + 24 * 60_000 };

    // Act
    const [series] = await source({ maxResponseBytes: limit }, { maxPointsPerRequest: 11 }).queryRange(long);

    // Assess
    expect(requestedRanges()).toEqual([
      [startS, startS + 10 * 60],
      [startS, startS + 5 * 60],
      [startS + 6 * 60, startS + 10 * 60],
      [startS + 10 * 60, startS + 20 * 60],
      [startS + 10 * 60, startS + 15 * 60],
      [startS + 16 * 60, startS + 20 * 60],
      [startS + 20 * 60, startS + 24 * 60],
    ]);
    expect(Array.from(series?.timestampsMs ?? [])).toEqual(Array.from({ length: 25 }, (_, p) => long.startMs + p * 60_000));
    expect(Array.from(series?.values ?? [])).toEqual(Array.from({ length: 25 }, (_, p) => startS + p * 60));
  });

  it('does not halve an answer over maxSeries: fewer points per series do not make fewer series', async () => {
    // Prepare
    fake.script([], { body: manySeries(50, 11) });

    // Act
    const error = await failure(source({ maxSeries: 10 }).queryRange(window));

    // Assess
    expect(error.message).toContain('more than 10 series (limit prometheus.maxSeries)');
    expect(fake.requests).toHaveLength(1);
  });
});

describe('Prometheus source: a streamed answer', () => {
  it('gives the same series whatever the size of the pieces it arrives in', async () => {
    // Prepare: labels with multi-byte characters, NaN and Inf samples
    const body = matrixBody([
      { labels: { __name__: 'm', city: 'Zürich 東京 🚀' }, values: [[1_700_000_000, '1.5'], [1_700_000_060, 'NaN'], [1_700_000_120, '-2e-3']] },
      { labels: { __name__: 'm', city: 'Øresund' }, values: [[1_700_000_000, '+Inf'], [1_700_000_060, '7']] },
    ]);
    fake.script([{ body }]);
    const whole = await source().queryRange(window);

    for (const pieceBytes of [1, 2, 3, 7, 64]) {
      fake.script([{ body, pieceBytes }]);

      // Act
      const pieces = await source().queryRange(window);

      // Assess
      expect(pieces).toEqual(whole);
    }
    expect(whole[0]?.labels.city).toBe('Zürich 東京 🚀');
    expect(whole.map((s) => s.droppedNonFinite)).toEqual([1, 1]);
  });

  it('a body that stalls half-way times out, retryable', async () => {
    // Prepare
    fake.script([], { body: manySeries(200, 5), pieceBytes: 1_024, stallAfterBytes: 4_096 });

    // Act
    const error = await failure(source({ timeoutMs: 150, retries: 0 }).queryRange(window));

    // Assess
    expect(error.message).toMatch(/query "up" failed: timed out while reading the answer/);
    expect(error.retryable).toBe(true);
  });

  it('a connection that breaks half-way through the body fails, retryable', async () => {
    // Prepare: the pieces 10 ms apart, so the answer has begun when the connection breaks
    fake.script([], { body: manySeries(200, 5), pieceBytes: 1_024, pieceDelayMs: 10, breakAfterBytes: 4_096 });

    // Act
    const error = await failure(source({ retries: 0 }).queryRange(window));

    // Assess
    expect(error.message).toMatch(/query "up" failed: the connection broke while reading the answer/);
    expect(error.retryable).toBe(true);
  });

  it('stops reading the body at once when the signal aborts', async () => {
    // Prepare: a body that stalls after its first piece
    fake.script([], { body: manySeries(200, 5), pieceBytes: 1_024, stallAfterBytes: 1_024 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('run cancelled')), 50);

    // Act
    const error = await failure(source({ timeoutMs: 5_000 }).queryRange(window, { signal: controller.signal }));

    // Assess
    expect(error.message).toMatch(/aborted \(run cancelled\)/);
    expect(error.retryable).toBe(false);
  });
});
