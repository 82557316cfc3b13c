/**
 * The Prometheus source against a real Prometheus 2.42 (Debian package), history backfilled
 * with promtool. Faults Prometheus will not produce on demand (500 then OK, hangs, malformed
 * JSON) are in test/unit/sources/prometheus/prometheus-source.test.ts against a fake server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrometheusConfig } from '../../lib/config/config.js';
import { configDefaults } from '../../lib/config/schema.js';
import { createMemoryLogger } from '../../lib/log.js';
import { seriesKey, type Series } from '../../lib/series/index.js';
import { SourceError } from '../../lib/sources/errors.js';
import { createPrometheusSource } from '../../lib/sources/prometheus/prometheus-source.js';
import { freePort, startPrometheus, type RunningPrometheus, type SeriesInput } from '../support/prometheus-server.js';

/** The configuration's limits on an answer (prometheus.maxSeries, prometheus.maxResponseBytes). */
const limits = { maxSeries: configDefaults.prometheusMaxSeries, maxResponseBytes: configDefaults.prometheusMaxResponseBytes };

const stepSeconds = 60;
// The newest sample sits on a whole minute a little in the past, so it is inside every window.
const nowSeconds = Math.floor(Date.now() / 60_000) * 60 - 120;
const historyMinutes = 180;

function minuteSeries(labels: Record<string, string>, value: (minutesAgo: number) => number): SeriesInput {
  const samples: [number, number][] = [];
  for (let ago = historyMinutes; ago >= 0; ago--) samples.push([nowSeconds - ago * 60, value(ago)]);
  return { labels, samples };
}

// One sample per second for four hours: 14,401 points, more than one request may ask for.
const secondsLong = 4 * 3600;
const dense: SeriesInput = {
  labels: { __name__: 'aiops_test_dense' },
  samples: Array.from({ length: secondsLong + 1 }, (_, i) => [nowSeconds - secondsLong + i, i] as [number, number]),
};

const series: SeriesInput[] = [
  minuteSeries({ __name__: 'aiops_test_latency', job: 'api', instance: 'a' }, (ago) => 100 + (ago % 7)),
  minuteSeries({ __name__: 'aiops_test_latency', job: 'api', instance: 'b' }, (ago) => 200 + (ago % 5)),
  minuteSeries({ __name__: 'aiops_test_latency', job: 'db', instance: 'c' }, (ago) => (ago < 3 ? 5_000 : 300)),
  // 3 minutes ago NaN, 2 minutes ago +Inf, 1 minute ago -Inf; finite elsewhere.
  minuteSeries({ __name__: 'aiops_test_special' }, (ago) =>
    ago === 3 ? Number.NaN : ago === 2 ? Infinity : ago === 1 ? -Infinity : ago,
  ),
  dense,
];

function config(url: string, overrides: Partial<PrometheusConfig> = {}): PrometheusConfig {
  return { url, auth: { type: 'none' }, headers: {}, timeoutMs: 5_000, retries: 0, ...limits, ...overrides };
}

let prometheus: RunningPrometheus;

const splitMessage = 'prometheus answer over maxResponseBytes; reading the range in two halves';

/** `query_range` requests Prometheus has answered so far, by its own counter. */
async function queryRangeRequests(): Promise<number> {
  const text = await (await fetch(`${prometheus.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('prometheus_http_requests_total{') && line.includes('handler="/api/v1/query_range"')) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

/** Series as plain data, in the order of their keys: to compare two reads of one window. */
function comparable(result: readonly Series[]): { key: string; timestampsMs: number[]; values: number[]; dropped: number }[] {
  return result
    .map((s) => ({
      key: seriesKey(s.labels),
      timestampsMs: Array.from(s.timestampsMs),
      values: Array.from(s.values),
      dropped: s.droppedNonFinite,
    }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

beforeAll(async () => {
  prometheus = await startPrometheus({ series });
});

afterAll(async () => {
  await prometheus?.stop();
});

describe('Prometheus source against a real Prometheus', () => {
  it('returns one series per label set with every point of the window, newest included', async () => {
    // Prepare
    const source = createPrometheusSource(config(prometheus.url));
    const endMs = nowSeconds * 1000;

    // Act
    const result = await source.queryRange({
      query: 'aiops_test_latency',
      startMs: endMs - 60 * 60_000,
      endMs,
      stepSeconds,
    });

    // Assess
    expect(result.map((s) => s.labels.instance).sort()).toEqual(['a', 'b', 'c']);
    for (const s of result) {
      expect(s.labels.__name__).toBe('aiops_test_latency');
      expect(s.timestampsMs.length).toBe(61);
      expect(s.timestampsMs.at(-1)).toBe(endMs);
      expect(s.droppedNonFinite).toBe(0);
    }
    const spiky = result.find((s) => s.labels.instance === 'c');
    expect(Array.from(spiky?.values.slice(-3) ?? [])).toEqual([5_000, 5_000, 5_000]);
    expect(source.description).toBe(`prometheus ${prometheus.url}`);
  });

  it('drops NaN, +Inf and -Inf samples and counts them', async () => {
    // Prepare
    const source = createPrometheusSource(config(prometheus.url));
    const endMs = nowSeconds * 1000;

    // Act
    const [special] = await source.queryRange({ query: 'aiops_test_special', startMs: endMs - 10 * 60_000, endMs, stepSeconds });

    // Assess
    expect(special?.droppedNonFinite).toBe(3);
    expect(special?.timestampsMs.length).toBe(11 - 3);
    expect(Array.from(special?.values ?? []).every(Number.isFinite)).toBe(true);
    expect(Array.from(special?.values ?? [])).toEqual([10, 9, 8, 7, 6, 5, 4, 0]);
  });

  it('aligns start and end to the step', async () => {
    // Prepare: bounds 17 s and 43 s past a minute
    const source = createPrometheusSource(config(prometheus.url));
    const endMs = nowSeconds * 1000 - 60_000 + 43_000;
    const startMs = endMs - 30 * 60_000 - 26_000;

    // Act
    const [first] = await source.queryRange({ query: 'aiops_test_latency{instance="a"}', startMs, endMs, stepSeconds });

    // Assess
    const timestamps = Array.from(first?.timestampsMs ?? []);
    expect(timestamps.every((t) => t % 60_000 === 0)).toBe(true);
    expect(timestamps[0]).toBe(Math.floor(startMs / 60_000) * 60_000);
    expect(timestamps.at(-1)).toBe(Math.floor(endMs / 60_000) * 60_000);
  });

  it('splits a window of more than 11,000 points per series and joins it without a duplicate', async () => {
    // Prepare: 14,400 s at a 1 s step; Prometheus alone refuses more than 11,000 points
    const source = createPrometheusSource(config(prometheus.url));
    const endMs = nowSeconds * 1000;
    const startMs = endMs - secondsLong * 1000;
    const raw = await fetch(
      `${prometheus.url}/api/v1/query_range?query=aiops_test_dense&start=${startMs / 1000}&end=${endMs / 1000}&step=1`,
    );
    expect(raw.status).toBe(400);

    // Act
    const [joined] = await source.queryRange({ query: 'aiops_test_dense', startMs, endMs, stepSeconds: 1 });

    // Assess
    expect(joined?.timestampsMs.length).toBe(secondsLong + 1);
    const timestamps = joined?.timestampsMs ?? new Float64Array();
    for (let i = 1; i < timestamps.length; i++) expect(timestamps[i]! - timestamps[i - 1]!).toBe(1_000);
    expect(joined?.values[0]).toBe(0);
    expect(joined?.values.at(-1)).toBe(secondsLong);
  });

  it('reads the whole window of several series in pieces under a small maxResponseBytes, equal to the unlimited read', async () => {
    // Prepare: 4 series x 181 points (NaN and Inf among them), an answer of about 14 KB; 3 KB allowed
    const query = '{__name__=~"aiops_test_latency|aiops_test_special"}';
    const endMs = nowSeconds * 1000;
    const window = { query, startMs: endMs - historyMinutes * 60_000, endMs, stepSeconds };
    const raw = await fetch(
      `${prometheus.url}/api/v1/query_range?query=${encodeURIComponent(query)}&start=${window.startMs / 1000}&end=${endMs / 1000}&step=${stepSeconds}`,
    );
    const maxResponseBytes = 3_000;
    expect((await raw.arrayBuffer()).byteLength).toBeGreaterThan(4 * maxResponseBytes);
    const unlimited = await createPrometheusSource(config(prometheus.url)).queryRange(window);
    const logger = createMemoryLogger();
    const requestsBefore = await queryRangeRequests();

    // Act
    const pieces = await createPrometheusSource(config(prometheus.url, { maxResponseBytes }), { logger }).queryRange(window);

    // Assess: the same series with the same points, read in more requests (each split adds two)
    expect(unlimited).toHaveLength(4);
    expect(unlimited.every((s) => s.timestampsMs.length >= historyMinutes + 1 - 3)).toBe(true);
    expect(comparable(pieces)).toEqual(comparable(unlimited));
    const splits = logger.diagnostics.filter((d) => d.msg === splitMessage);
    expect(splits.length).toBeGreaterThanOrEqual(3);
    expect(splits.every((d) => d.level === 'warn' && d.query === query && d.source === `prometheus ${prometheus.url}`)).toBe(true);
    expect((await queryRangeRequests()) - requestsBefore).toBe(1 + 2 * splits.length);
  });

  it('reads a window of more than 11,000 points per series in pieces under a small maxResponseBytes', async () => {
    // Prepare: 14,401 points at 1 s, two requests by the point limit; 64 KB allowed, about 260 KB per request
    const endMs = nowSeconds * 1000;
    const startMs = endMs - secondsLong * 1000;
    const logger = createMemoryLogger();

    // Act
    const [joined] = await createPrometheusSource(config(prometheus.url, { maxResponseBytes: 64_000 }), { logger }).queryRange({
      query: 'aiops_test_dense',
      startMs,
      endMs,
      stepSeconds: 1,
    });

    // Assess: every second once, in order, values as written
    expect(logger.diagnostics.filter((d) => d.msg === splitMessage).length).toBeGreaterThanOrEqual(2);
    expect(joined?.timestampsMs.length).toBe(secondsLong + 1);
    const timestamps = joined?.timestampsMs ?? new Float64Array();
    const values = joined?.values ?? new Float64Array();
    for (let i = 0; i < timestamps.length; i++) {
      expect(timestamps[i]).toBe(startMs + i * 1_000);
      expect(values[i]).toBe(i);
    }
  });

  it('fails with the maxResponseBytes error when a single point is over the limit', async () => {
    // Prepare: 50 bytes hold no answer at all
    const logger = createMemoryLogger();
    const source = createPrometheusSource(config(prometheus.url, { maxResponseBytes: 50 }), { logger });
    const endMs = nowSeconds * 1000;

    // Act
    const error = await source
      .queryRange({ query: 'aiops_test_latency', startMs: endMs - 10 * 60_000, endMs, stepSeconds })
      .catch((e: unknown) => e);

    // Assess: 11 points, halved down to a single one (6, 3, 2, 1) before failing
    expect(error).toBeInstanceOf(SourceError);
    const sourceError = error as SourceError;
    // Prometheus announces the size of an answer this small (Content-Length)
    expect(sourceError.message).toMatch(
      /^prometheus \S+ query "aiops_test_latency": the answer is (\d+ bytes \(Content-Length\), )?larger than 50 bytes \(limit prometheus\.maxResponseBytes\); narrow or aggregate the query, or raise the limit$/,
    );
    expect(sourceError.retryable).toBe(false);
    expect(logger.diagnostics.filter((d) => d.msg === splitMessage)).toHaveLength(4);
  });

  it('answers a query longer than a URL should be (sent as a POST form)', async () => {
    // Prepare: a ~3,000-character regex matcher that still selects instance a
    const alternatives = Array.from({ length: 400 }, (_, i) => `nomatch${i}`).join('|');
    const query = `aiops_test_latency{instance=~"${alternatives}|a"}`;
    expect(query.length).toBeGreaterThan(2_000);
    const source = createPrometheusSource(config(prometheus.url));
    const endMs = nowSeconds * 1000;

    // Act
    const result = await source.queryRange({ query, startMs: endMs - 10 * 60_000, endMs, stepSeconds });

    // Assess
    expect(result.map((s) => s.labels.instance)).toEqual(['a']);
  });

  it("surfaces Prometheus' own error for bad PromQL, not retryable", async () => {
    // Prepare
    const logger = createMemoryLogger();
    const source = createPrometheusSource(config(prometheus.url, { retries: 3 }), { logger });
    const endMs = nowSeconds * 1000;

    // Act
    const error = await source
      .queryRange({ query: 'rate(aiops_test_latency[5m]', startMs: endMs - 600_000, endMs, stepSeconds })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SourceError);
    const sourceError = error as SourceError;
    expect(sourceError.errorType).toBe('bad_data');
    expect(sourceError.status).toBe(400);
    expect(sourceError.retryable).toBe(false);
    expect(sourceError.message).toContain('rate(aiops_test_latency[5m]');
    expect(sourceError.message).toMatch(/bad_data: .*parse error/);
    expect(sourceError.message).toContain(`prometheus ${prometheus.url}`);
    expect(logger.diagnostics.filter((d) => d.msg === 'prometheus request retried')).toHaveLength(0);
  });

  it('reports a Prometheus that is down as connection refused, retryable', async () => {
    // Prepare: a port nothing listens on
    const port = await freePort();
    const source = createPrometheusSource(config(`http://127.0.0.1:${port}`, { retries: 1 }), {
      retry: { baseDelayMs: 10, maxDelayMs: 20 },
    });

    // Act
    const error = await source
      .queryRange({ query: 'up', startMs: 0, endMs: 600_000, stepSeconds })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toMatch(/connection refused.*after 2 attempts/);
    expect((error as SourceError).retryable).toBe(true);
  });
});
