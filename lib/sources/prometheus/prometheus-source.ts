/**
 * MetricSource over Prometheus' HTTP API (`/api/v1/query_range`), with bearer, basic, extra
 * headers, an extra CA, and SigV4 for Amazon Managed Service for Prometheus. Requests go
 * through the shared HTTP client (lib/http/client.ts): retries on 5xx, 429 and network errors,
 * none on other 4xx, a timeout per attempt.
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { PrometheusConfig, SecretRef } from '../../config/config.js';
import { errorMessage } from '../../errors.js';
import { createCaAgentLoader } from '../../http/ca-agent.js';
import { createHttpClient, describeHttpFailure } from '../../http/client.js';
import { isRetryableStatus, type RetryOptions } from '../../http/retry-policy.js';
import type { Logger } from '../../log.js';
import { resolveSecret as defaultResolveSecret } from '../../secrets/resolve-secret.js';
import { SourceError, shortQuery } from '../errors.js';
import type { Series } from '../../series/index.js';
import type { MetricSource, RangeQuery } from '../source.js';
import { MatrixShapeError, prometheusErrorOf, readMatrix, type MatrixSeries } from './matrix.js';
import { joinSeries } from './series-joiner.js';
import { defaultCredentialsProvider, signRequest, type AwsCredentialsProvider } from './sigv4.js';
import { alignRange, maxPointsPerRequest, splitRange } from './time-range.js';

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
}

/** RFC 3986 encoding, so `+` and `*` mean the same to Prometheus and to a SigV4 verifier. */
function encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function formSeconds(ms: number): string {
  return String(ms / 1000);
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

  async function fetchChunk(
    query: string,
    range: { startMs: number; endMs: number },
    stepMs: number,
    signal: AbortSignal | undefined,
  ): Promise<MatrixSeries[]> {
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
    let response: AxiosResponse<string>;
    try {
      response = await http.request<string>({
        method,
        url,
        headers,
        ...(usePost ? { data: form } : {}),
        signal,
        httpsAgent: agent,
        // Parsed here, so a malformed body is reported as such instead of passing as a string.
        responseType: 'text',
        transformResponse: [(data: unknown) => data],
      });
    } catch (error) {
      throw toSourceError(error, where, signal);
    }
    let body: unknown;
    try {
      body = JSON.parse(response.data);
    } catch (error) {
      throw new SourceError(`${where}: the answer (HTTP ${response.status}) is not JSON: ${errorMessage(error)}`, {
        retryable: false,
        status: response.status,
        cause: error,
      });
    }
    try {
      const { series, warnings } = readMatrix(body);
      for (const warning of warnings) deps.logger?.warn('prometheus warning', { source: description, query: shortQuery(query), warning });
      return series;
    } catch (error) {
      if (error instanceof MatrixShapeError) {
        throw new SourceError(`${where}: unexpected answer: ${error.message}`, { retryable: false, status: response.status, cause: error });
      }
      throw error;
    }
  }

  return {
    description,
    async queryRange(request: RangeQuery, options: { signal?: AbortSignal } = {}): Promise<Series[]> {
      const aligned = alignRange(request.startMs, request.endMs, request.stepSeconds);
      const chunks: MatrixSeries[][] = [];
      // One after the other: a long backfill should not hit Prometheus with parallel heavy queries.
      for (const range of splitRange(aligned, maxPoints)) {
        chunks.push(await fetchChunk(request.query, range, aligned.stepMs, options.signal));
      }
      return joinSeries(chunks);
    },
  };
}

/** An axios failure as a SourceError: Prometheus' error text when it sent one, never a header. */
function toSourceError(error: unknown, where: string, signal: AbortSignal | undefined): SourceError {
  if (signal?.aborted) {
    return new SourceError(`${where}: aborted (${errorMessage(signal.reason)})`, { retryable: false, cause: signal.reason });
  }
  // A plain cause: the axios error holds the request config, auth headers included.
  const attempts = attemptsOf(error);
  const after = attempts > 1 ? ` after ${attempts} attempts` : '';
  if (axios.isAxiosError(error) && error.response) {
    const status = error.response.status;
    const text = typeof error.response.data === 'string' ? error.response.data : '';
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined; // not JSON (a proxy's HTML page): reported by status below
    }
    const prom = prometheusErrorOf(body);
    const cause = new Error(error.message);
    if (prom) {
      return new SourceError(`${where} failed: ${prom.errorType}: ${prom.error} (HTTP ${status}${after})`, {
        retryable: isRetryableStatus(status),
        status,
        errorType: prom.errorType,
        cause,
      });
    }
    return new SourceError(`${where} failed: HTTP ${status}${after}`, { retryable: isRetryableStatus(status), status, cause });
  }
  const { reason } = describeHttpFailure(error);
  const code = axios.isAxiosError(error) ? error.code : undefined;
  const detail = code === 'ECONNREFUSED' ? 'connection refused (ECONNREFUSED)' : reason;
  return new SourceError(`${where} failed: ${detail}${after}`, {
    retryable: true,
    cause: new Error(errorMessage(error)),
  });
}

/** Attempts made, from axios-retry's per-request state. */
function attemptsOf(error: unknown): number {
  if (!axios.isAxiosError(error) || !error.config) return 1;
  const state = (error.config as unknown as Record<string, unknown>)['axios-retry'];
  const retryCount = typeof state === 'object' && state !== null ? (state as { retryCount?: unknown }).retryCount : undefined;
  return typeof retryCount === 'number' ? retryCount + 1 : 1;
}
