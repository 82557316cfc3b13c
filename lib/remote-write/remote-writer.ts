/**
 * Prometheus remote write 1.0 client. Writes samples to a Prometheus started with
 * `--web.enable-remote-write-receiver` (`/api/v1/write`), to Amazon Managed Service for
 * Prometheus (`/workspaces/<id>/api/v1/remote_write`, SigV4) or to anything else that speaks the
 * protocol (Mimir, Thanos Receive, VictoriaMetrics). Used after each run to write scores back
 * ({@link scoreSamples}) and, by the Prometheus StateStore adapter, to write alert state.
 *
 * Retries follow the shared policy (lib/http/client.ts): 5xx, 429 and network errors are tried
 * again; other 4xx are final, because Prometheus answers 400 for samples it will never take
 * (out of order, duplicate timestamp with another value, too old).
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import axios from 'axios';
import type { PrometheusAuth, SecretRef } from '../config/config.js';
import { createCaAgentLoader } from '../http/ca-agent.js';
import { createHttpClient, describeHttpFailure } from '../http/client.js';
import { errorMessage } from '../errors.js';
import { isRetryableStatus } from '../http/retry-policy.js';
import { apsRegionOf } from '../aws/aps-workspace.js';
import { redactSecrets, redactUrl } from '../redact.js';
import { resolveSecret as defaultResolveSecret } from '../secrets/resolve-secret.js';
import type { AwsCredentialsProvider } from '../sources/prometheus/sigv4.js';
import { RemoteWriteError } from './errors.js';
import { createSigV4RequestSigner, type RequestSigner } from './sigv4-signer.js';
import type { RemoteWriteSample, TimeSeries } from './write-request.js';

export type { RequestSigner, SignableRequest } from './sigv4-signer.js';

export interface RemoteWriterOptions {
  /** Full remote write endpoint; {@link remoteWriteUrlFor} derives it from a query URL. */
  url: string;
  /** Same shape as the Prometheus source's auth. Default: none, or SigV4 for an `aps-workspaces` URL. */
  auth?: PrometheusAuth;
  /** Extra headers on every request, e.g. `X-Scope-OrgID` for Mimir or Cortex. */
  headers?: Readonly<Record<string, string>>;
  /** Per attempt. */
  timeoutMs: number;
  /** Retries after the first attempt, for 5xx, 429 and network errors. */
  retries: number;
  /** Samples per request; larger writes are split (in series order). Default 5000. */
  maxSamplesPerRequest?: number;
  /** PEM bundle to trust in addition to the system CAs (the Prometheus config's `caFile`). */
  caFile?: string;
}

export interface RemoteWriterDeps {
  /** SigV4 signer; default: the Prometheus source's signer with {@link RemoteWriterDeps.credentials}. */
  sign?: RequestSigner;
  /** AWS credentials for SigV4; default: the AWS SDK's credential chain. */
  credentials?: AwsCredentialsProvider;
  /** Resolves bearer tokens and basic-auth passwords; default lib/secrets/resolve-secret.ts. */
  resolveSecret?: (ref: SecretRef, options: { signal?: AbortSignal }) => Promise<string>;
  /** Seeded in tests (retry jitter only). */
  random?: () => number;
  now?: () => Date;
  onRetry?: (info: { retryNumber: number; delayMs: number; reason: string }) => void;
  /** Reads `caFile`; default node:fs. */
  readFile?: (path: string) => Promise<string>;
}

export interface RemoteWriteResult {
  samples: number;
  series: number;
  requests: number;
}

export interface RemoteWriter {
  /** Secret-free, for logs: `remote write http://prometheus:9090`. */
  readonly description: string;
  /**
   * Sends the samples; resolves when every request was accepted (2xx). Throws
   * {@link RemoteWriteError} (with `retryable` and `status`) on the first request that failed
   * for good, or `InputError` for samples that cannot be encoded (nothing is sent then).
   * Requests before a failed one stay written.
   */
  write(samples: readonly RemoteWriteSample[], options?: { signal?: AbortSignal }): Promise<RemoteWriteResult>;
}

/**
 * The remote write endpoint that belongs to a Prometheus query URL (the `prometheus.url` of the
 * config): `http://prom:9090` -> `http://prom:9090/api/v1/write`;
 * `https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1` ->
 * `.../workspaces/ws-1/api/v1/remote_write`. A path prefix (`/prometheus`) is kept.
 */
export function remoteWriteUrlFor(prometheusUrl: string): string {
  const url = new URL(prometheusUrl);
  const base = url.pathname.replace(/\/+$/, '');
  const path = apsRegionOf(prometheusUrl) !== undefined ? '/api/v1/remote_write' : '/api/v1/write';
  url.pathname = `${base}${path}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** Builds a remote writer; validates the options, resolves no secret yet. */
export function createRemoteWriter(options: RemoteWriterOptions, deps: RemoteWriterDeps = {}): RemoteWriter {
  const endpoint = new URL(options.url); // throws early on a malformed URL
  const description = `remote write ${endpoint.protocol}//${endpoint.host}`;
  const auth = effectiveAuth(options.auth, options.url);
  if (auth.type === 'sigv4' && auth.region === '') {
    throw new RemoteWriteError(`${description}: SigV4 auth needs a region`, { retryable: false });
  }
  const sign = auth.type === 'sigv4' ? (deps.sign ?? createSigV4RequestSigner({ credentials: deps.credentials, now: deps.now })) : undefined;
  const maxSamplesPerRequest = options.maxSamplesPerRequest ?? 5000;
  if (!Number.isInteger(maxSamplesPerRequest) || maxSamplesPerRequest < 1) {
    throw new RemoteWriteError(`${description}: maxSamplesPerRequest must be a positive integer`, { retryable: false });
  }
  const resolve = deps.resolveSecret ?? ((ref, { signal }) => defaultResolveSecret(ref, { signal }));
  const client = createHttpClient({
    timeoutMs: options.timeoutMs,
    retry: { retries: options.retries },
    random: deps.random,
    now: deps.now,
    onRetry: deps.onRetry,
  });

  const httpsAgent = createCaAgentLoader(
    options.caFile,
    deps.readFile ?? ((path) => fsReadFile(path, 'utf8')),
    (error, caFile) =>
      new RemoteWriteError(`${description}: cannot read caFile ${caFile}: ${errorMessage(error)}`, { retryable: false, cause: error }),
  );

  async function send(body: Uint8Array, signal: AbortSignal | undefined): Promise<void> {
    const secrets: string[] = [];
    let headers: Record<string, string> = {
      ...options.headers,
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'User-Agent': 'aiops-detector',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
    };
    if (auth.type === 'bearer') {
      const token = await resolve(auth.token, { signal });
      secrets.push(token);
      headers.Authorization = `Bearer ${token}`;
    } else if (auth.type === 'basic') {
      const password = await resolve(auth.password, { signal });
      secrets.push(password);
      headers.Authorization = `Basic ${Buffer.from(`${auth.username}:${password}`).toString('base64')}`;
    } else if (auth.type === 'sigv4') {
      // SigV4 signs the body: once per request, never reused for another body.
      try {
        headers = await sign!({ method: 'POST', url: options.url, headers, body }, { region: auth.region, service: auth.service, signal });
      } catch (error) {
        // Usually missing or expired AWS credentials: trying again at once will not help.
        throw new RemoteWriteError(`${description}: cannot sign the request (SigV4): ${errorMessage(error)}`, {
          retryable: false,
          cause: error,
        });
      }
    }
    const agent = await httpsAgent();
    try {
      await client.post(options.url, Buffer.from(body.buffer, body.byteOffset, body.byteLength), {
        headers,
        signal,
        httpsAgent: agent,
        responseType: 'text',
        // The body is already bytes; keep axios from serialising it again.
        transformRequest: [(data: unknown) => data],
      });
    } catch (error) {
      throw toRemoteWriteError(error, description, secrets);
    }
  }

  return {
    description,
    async write(samples, writeOptions = {}) {
      // Imported on the first write, not with this module: protobufjs builds its types when
      // loaded (~12 ms of CPU), which a Lambda cold start would pay with nothing to write back.
      const { encodeWriteRequestBody, toTimeSeries } = await import('./write-request.js');
      const timeseries = toTimeSeries(samples);
      let requests = 0;
      for (const batch of batches(timeseries, maxSamplesPerRequest)) {
        await send(encodeWriteRequestBody(batch), writeOptions.signal);
        requests++;
      }
      return { samples: samples.length, series: timeseries.length, requests };
    },
  };
}

function effectiveAuth(auth: PrometheusAuth | undefined, url: string): PrometheusAuth {
  if (auth) return auth;
  const region = apsRegionOf(url);
  return region !== undefined ? { type: 'sigv4', region, service: 'aps' } : { type: 'none' };
}

/** Splits series into requests of at most `max` samples; a series is never split unless it alone is larger. */
function* batches(timeseries: TimeSeries[], max: number): Generator<TimeSeries[]> {
  let current: TimeSeries[] = [];
  let count = 0;
  for (const series of timeseries) {
    for (let start = 0; start < series.samples.length; start += max) {
      const part = start === 0 && series.samples.length <= max ? series : { labels: series.labels, samples: series.samples.slice(start, start + max) };
      if (count + part.samples.length > max && current.length > 0) {
        yield current;
        current = [];
        count = 0;
      }
      current.push(part);
      count += part.samples.length;
    }
  }
  if (current.length > 0) yield current;
}

function toRemoteWriteError(error: unknown, description: string, secrets: string[]): RemoteWriteError {
  if (axios.isCancel(error) || (axios.isAxiosError(error) && error.code === 'ERR_CANCELED')) {
    return new RemoteWriteError(`${description}: cancelled`, { retryable: true });
  }
  const failure = describeHttpFailure(error);
  if (failure.status === undefined) {
    return new RemoteWriteError(`${description} failed: ${failure.reason}`, { retryable: true, cause: stripRequest(error) });
  }
  const retryable = isRetryableStatus(failure.status);
  const answer = responseText(error, secrets);
  const hint = failure.status === 400 && /out of (order|bounds)|duplicate sample|too old/i.test(answer)
    ? ' (Prometheus keeps one value per series and timestamp, in time order: these samples are older than, or clash with, what it already has; not retried)'
    : failure.status === 404
      ? ' (is the remote write receiver enabled? Prometheus needs --web.enable-remote-write-receiver)'
      : retryable
        ? ''
        : ' (not retried)';
  return new RemoteWriteError(
    `${description} rejected: HTTP ${failure.status}${answer ? ` ${answer}` : ''}${hint}`,
    { retryable, status: failure.status, cause: stripRequest(error) },
  );
}

/** The server's answer, one line, at most 300 characters, with any credential removed. */
function responseText(error: unknown, secrets: string[]): string {
  if (!axios.isAxiosError(error)) return '';
  const data: unknown = error.response?.data;
  const text = typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('utf8') : '';
  return redactSecrets(text.replace(/\s+/g, ' ').trim().slice(0, 300), secrets);
}

/**
 * axios errors carry the request config (headers with the Authorization value, the URL).
 * The cause keeps only what helps diagnose, so logging `error.cause` leaks nothing.
 */
function stripRequest(error: unknown): Error | undefined {
  if (!axios.isAxiosError(error)) return error instanceof Error ? error : undefined;
  const url = error.config?.url;
  const stripped = new Error(`${error.code ?? 'HTTP error'}${url ? ` ${redactUrl(url)}` : ''}`);
  stripped.name = 'AxiosError';
  return stripped;
}
