/**
 * The measured process of `npm run bench:answer` (started by run.ts, which owns the server):
 * one `query_range` of the large answer, read one of three ways, and one JSON line with the wall
 * time, the peak RSS and what came back. Being its own process, its peak RSS is the query's.
 *
 * - `before`: the code path before answers were streamed, as the baseline: axios with
 *   `responseType: 'text'` through the shared HTTP client, then test/support/whole-answer.ts
 *   (`JSON.parse` of the whole body, `readMatrix`, series gathered in number arrays).
 * - `after`: the Prometheus source as it is (`readMatrixStream`), with the limits raised so it
 *   reads the whole answer, the same work as `before`.
 * - `limits`: the Prometheus source with the default limits (an answer over `maxResponseBytes`
 *   is read in halves of its range when the server answers per range, `--cold`).
 */
import { parseArgs } from 'node:util';
import { configDefaults } from '../../lib/config/schema.js';
import { errorMessage } from '../../lib/errors.js';
import { createHttpClient } from '../../lib/http/client.js';
import type { Series } from '../../lib/series/index.js';
import { createPrometheusSource } from '../../lib/sources/prometheus/prometheus-source.js';
import { parseWholeAnswer } from '../../test/support/whole-answer.js';
import { answerEndS, stepSeconds } from './body.js';

export type QueryMode = 'before' | 'after' | 'limits';

export interface QueryReport {
  mode: QueryMode;
  wallMs: number;
  /** process.resourceUsage().maxRSS at the end, bytes. */
  peakRssBytes: number;
  /** RSS just before the query (the process with its modules loaded), bytes. */
  startRssBytes: number;
  series: number;
  points: number;
  error?: string;
}

async function before(url: string, query: string, startS: number): Promise<Series[]> {
  const http = createHttpClient({ timeoutMs: configDefaults.prometheusTimeoutMs, retry: { retries: 0 } });
  const params = new URLSearchParams({ query, start: String(startS), end: String(answerEndS), step: String(stepSeconds) });
  const response = await http.request<string>({
    url: `${url}/api/v1/query_range?${params.toString()}`,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
  });
  return parseWholeAnswer(response.data).series;
}

async function after(url: string, query: string, startS: number, limited: boolean): Promise<Series[]> {
  const source = createPrometheusSource({
    url,
    auth: { type: 'none' },
    headers: {},
    timeoutMs: configDefaults.prometheusTimeoutMs,
    retries: 0,
    maxSeries: limited ? configDefaults.prometheusMaxSeries : Number.MAX_SAFE_INTEGER,
    maxResponseBytes: limited ? configDefaults.prometheusMaxResponseBytes : Number.MAX_SAFE_INTEGER,
  });
  return source.queryRange({ query, startMs: startS * 1000, endMs: answerEndS * 1000, stepSeconds });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { url: { type: 'string' }, mode: { type: 'string' }, points: { type: 'string', default: '120' } },
    strict: true,
  });
  const mode = values.mode as QueryMode;
  const url = values.url ?? '';
  const startS = answerEndS - (Number(values.points) - 1) * stepSeconds;
  const startRssBytes = process.memoryUsage().rss;
  const started = performance.now();
  let result: Series[] = [];
  let error: string | undefined;
  try {
    result = mode === 'before' ? await before(url, 'fleet', startS) : await after(url, 'fleet', startS, mode === 'limits');
  } catch (failure) {
    error = errorMessage(failure);
  }
  const wallMs = performance.now() - started;
  const report: QueryReport = {
    mode,
    wallMs,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    startRssBytes,
    series: result.length,
    points: result.reduce((sum, s) => sum + s.values.length, 0),
    ...(error !== undefined ? { error } : {}),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
