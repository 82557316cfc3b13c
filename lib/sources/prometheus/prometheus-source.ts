/**
 * MetricSource over Prometheus' HTTP API (`/api/v1/query_range`), with bearer, basic, extra
 * headers, an extra CA, and SigV4 for Amazon Managed Service for Prometheus. Requests go
 * through the shared HTTP client (lib/http/client.ts): retries on 5xx, 429 and network errors,
 * none on other 4xx, a timeout per attempt. The answer is read as it arrives, one series at a
 * time (matrix-stream.ts; one of at most 1 MB is parsed whole once complete), within `maxSeries` and `maxResponseBytes`. A window is asked for in
 * requests of at most 11,000 points per series, and a request whose answer is over
 * `maxResponseBytes` is asked for again as two halves of its range, so a long window of many
 * series (a cold read) goes in pieces that each fit the limit.
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { AxiosInstance, AxiosResponse } from 'axios';
import type { PrometheusConfig, SecretRef } from '../../config/config.js';
import { errorMessage } from '../../errors.js';
import { createCaAgentLoader } from '../../http/ca-agent.js';
import { createHttpClient } from '../../http/client.js';
import type { RetryOptions } from '../../http/retry-policy.js';
import type { Logger } from '../../log.js';
import { resolveSecret as defaultResolveSecret } from '../../secrets/resolve-secret.js';
import { SourceError, shortQuery } from '../errors.js';
import type { Series } from '../../series/index.js';
import type { MetricSource, RangeQuery } from '../source.js';
import { answerFailure, requestFailure } from './http-failure.js';
import { AnswerLimitError, readMatrixStream, tooManyBytes } from './matrix-stream.js';
import { createSeriesJoiner, type SeriesJoiner } from './series-joiner.js';
import { defaultCredentialsProvider, signRequest, type AwsCredentialsProvider } from './sigv4.js';
import { alignRange, halveRange, maxPointsPerRequest, splitRange } from './time-range.js';

/** Above this many characters of URL a GET may hit proxy or server limits; POST the form instead. */
export const maxGetUrlLength = 2_000;

export interface PrometheusSourceDeps {
  now?: () => Date;
  logger?: Logger;
  /** Reads the CA file (and `{ file }` secrets when `resolveSecret` is not given). */
  readFile?: (path: string) => Promise<string>;
  env?: Readonly<Record<string, string | undefined>>;
  /** AWS credentials for SigV4; default the SDK's default chain. */
  credentials?: AwsCredentialsProvider;
  /** Secret resolution (bearer token, basic password); default lib/secrets env + file. */
  resolveSecret?: (ref: SecretRef) => Promise<string>;
  /** Backoff overrides (tests shorten the waits); the policy itself stays the shared one. */
  retry?: Partial<Omit<RetryOptions, 'retries'>>;
  /** Jitter source for backoff. */
  random?: () => number;
  /** Points per request before a window is split; Prometheus' limit by default. */
  maxPointsPerRequest?: number;
  /** Answers up to this many bytes are parsed whole once complete (matrix-stream.ts); 0 streams every answer. */
  parseWholeMaxBytes?: number;
}

/** RFC 3986 encoding, so `+` and `*` mean the same to Prometheus and to a SigV4 verifier. */
function encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function formSeconds(ms: number): string {
  return String(ms / 1000);
}

/** The answer was over `maxResponseBytes` (announced or while read): a shorter range may fit. */
function overByteLimit(error: unknown): boolean {
  return error instanceof SourceError && error.cause instanceof AnswerLimitError && error.cause.limit === 'maxResponseBytes';
}

/** `https://prom.example:9090` (no path, no user info): safe for messages. */
function hostOnly(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '<invalid url>';
  }
}

/** Creates the Prometheus source. Nothing is contacted until the first query. */
export function createPrometheusSource(config: PrometheusConfig, deps: PrometheusSourceDeps = {}): MetricSource {
  const now = deps.now ?? (() => new Date());
  const readFile = deps.readFile ?? ((path: string) => fsReadFile(path, 'utf8'));
  const resolveSecret =
    deps.resolveSecret ?? ((ref: SecretRef) => defaultResolveSecret(ref, { env: deps.env, readFile }));
  const description = `prometheus ${hostOnly(config.url)}`;
  const maxPoints = deps.maxPointsPerRequest ?? maxPointsPerRequest;
  const auth = config.auth;
  const credentials = auth.type === 'sigv4' ? (deps.credentials ?? defaultCredentialsProvider()) : undefined;
  const endpoint = new URL(`${config.url.replace(/\/+$/, '')}/api/v1/query_range`);

  const http: AxiosInstance = createHttpClient({
    timeoutMs: config.timeoutMs,
    retry: { ...deps.retry, retries: config.retries },
    random: deps.random,
    now,
    onRetry: ({ retryNumber, reason }) =>
      deps.logger?.warn('prometheus request retried', { source: description, retry: retryNumber, reason }),
  });

  const httpsAgent = createCaAgentLoader(
    config.caFile,
    readFile,
    (error, caFile) =>
      new SourceError(`${description}: cannot read caFile ${caFile}: ${errorMessage(error)}`, { retryable: false, cause: error }),
  );

  const authHeaders = async (): Promise<Record<string, string>> => {
    // Resolved on every query so a rotated token file is picked up.
    if (auth.type === 'bearer') return { authorization: `Bearer ${await resolveSecret(auth.token)}` };
    if (auth.type === 'basic') {
      const password = await resolveSecret(auth.password);
      return { authorization: `Basic ${Buffer.from(`${auth.username}:${password}`).toString('base64')}` };
    }
    return {};
  };

  /** Reads one request's answer into `joiner`. */
  async function fetchChunk(
    query: string,
    range: { startMs: number; endMs: number },
    stepMs: number,
    signal: AbortSignal | undefined,
    joiner: SeriesJoiner,
  ): Promise<void> {
    const form = `query=${encode(query)}&start=${formSeconds(range.startMs)}&end=${formSeconds(range.endMs)}&step=${formSeconds(stepMs)}`;
    const usePost = endpoint.toString().length + 1 + form.length > maxGetUrlLength;
    const method = usePost ? 'POST' : 'GET';
    const queryString = usePost ? '' : form;
    let credentialHeaders: Record<string, string>;
    try {
      credentialHeaders = await authHeaders();
    } catch (error) {
      // SecretError names the env var or file, never the value.
      throw new SourceError(`${description}: ${errorMessage(error)}`, { retryable: false, cause: error });
    }
    let headers: Record<string, string> = { ...config.headers, ...credentialHeaders };
    if (usePost) headers['content-type'] = 'application/x-www-form-urlencoded';
    if (auth.type === 'sigv4' && credentials) {
      try {
        headers = await signRequest(
          { method, url: endpoint, query: queryString, headers, ...(usePost ? { body: form } : {}) },
          { region: auth.region, service: auth.service, credentials, now },
        );
      } catch (error) {
        // Mostly "no credentials": the chain's message says which providers it tried.
        throw new SourceError(`${description}: cannot sign the request (SigV4): ${errorMessage(error)}`, {
          retryable: false,
          cause: error,
        });
      }
    }
    const url = queryString === '' ? endpoint.toString() : `${endpoint.toString()}?${queryString}`;
    const where = `${description} query "${shortQuery(query)}"`;

    const agent = await httpsAgent();
    let response: AxiosResponse<Readable>;
    try {
      response = await http.request<Readable>({
        method,
        url,
        headers,
        ...(usePost ? { data: form } : {}),
        signal,
        httpsAgent: agent,
        // Read as it arrives, so a large answer is never held whole (as text and parsed at once).
        // The retry policy sees the status before any byte of the body, as with a buffered body.
        responseType: 'stream',
      });
    } catch (error) {
      throw await requestFailure(error, where, signal, config.timeoutMs);
    }
    const body = response.data;
    const announcedBytes = Number(response.headers['content-length'] ?? Number.NaN);
    if (announcedBytes > config.maxResponseBytes) {
      body.destroy();
      throw answerFailure(tooManyBytes(config.maxResponseBytes, announcedBytes), where, response.status, signal);
    }
    try {
      const { warnings } = await readMatrixStream(body, {
        maxSeries: config.maxSeries,
        maxResponseBytes: config.maxResponseBytes,
        idleTimeoutMs: config.timeoutMs,
        ...(deps.parseWholeMaxBytes !== undefined ? { parseWholeMaxBytes: deps.parseWholeMaxBytes } : {}),
        onSeries: (series) => joiner.add(series),
      });
      for (const warning of warnings) deps.logger?.warn('prometheus warning', { source: description, query: shortQuery(query), warning });
    } catch (error) {
      throw answerFailure(error, where, response.status, signal);
    }
  }

  /**
   * Reads `range` into `joiner`. An answer over `maxResponseBytes` is read again as the two
   * halves of the range, each halved again while still over it; only a single point over the
   * limit fails. Series the cut answer already gave stay in the joiner: each is complete for
   * `range`, so the halves' samples of it are at or before its last kept timestamp and the
   * joiner drops them; a series cut in the middle was never added and comes from the halves.
   */
  async function readRange(
    query: string,
    range: { startMs: number; endMs: number },
    stepMs: number,
    signal: AbortSignal | undefined,
    joiner: SeriesJoiner,
  ): Promise<void> {
    let halves: ReturnType<typeof halveRange>;
    try {
      await fetchChunk(query, range, stepMs, signal, joiner);
      return;
    } catch (error) {
      halves = overByteLimit(error) ? halveRange(range, stepMs) : undefined;
      if (!halves) throw error;
    }
    deps.logger?.warn('prometheus answer over maxResponseBytes; reading the range in two halves', {
      source: description,
      query: shortQuery(query),
      start: new Date(range.startMs).toISOString(),
      end: new Date(range.endMs).toISOString(),
      stepSeconds: stepMs / 1000,
      maxResponseBytes: config.maxResponseBytes,
    });
    for (const half of halves) await readRange(query, half, stepMs, signal, joiner);
  }

  return {
    description,
    async queryRange(request: RangeQuery, options: { signal?: AbortSignal } = {}): Promise<Series[]> {
      const aligned = alignRange(request.startMs, request.endMs, request.stepSeconds);
      const joiner = createSeriesJoiner({ pointsPerSeries: (aligned.endMs - aligned.startMs) / aligned.stepMs + 1 });
      // One after the other, oldest first (the joiner appends in time order): a long backfill
      // should not hit Prometheus with parallel heavy queries.
      for (const range of splitRange(aligned, maxPoints)) {
        await readRange(request.query, range, aligned.stepMs, options.signal, joiner);
      }
      return joiner.finish();
    },
  };
}
