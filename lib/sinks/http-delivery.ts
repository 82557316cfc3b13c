/**
 * What every HTTP sink shares: the client with the one retry policy (lib/http/client.ts), a POST
 * that never throws and says whether another run may succeed, and redaction. Sinks only build
 * payloads; the classification (5xx/429/network retry, other 4xx final) lives here, as in
 * Alertmanager's notify/util.go.
 */
import axios, { type AxiosInstance } from 'axios';
import { isHttpUrl } from '../config/fields.js';
import { InputError } from '../errors.js';
import { createHttpClient, describeHttpFailure, type HttpClientOptions } from '../http/client.js';
import { isRetryableStatus, type RetryOptions } from '../http/retry-policy.js';
import type { Logger } from '../log.js';
import { redactSecrets } from '../redact.js';
import type { DeliveryResult } from './sink.js';

/** Options every HTTP sink takes. */
export interface HttpSinkOptions {
  /** Name in logs and the key of pending deliveries; defaults to the sink type. */
  name?: string;
  /** The resolved webhook URL: a secret, never logged. */
  url: string;
  /** Per attempt (default 10 s). */
  timeoutMs?: number;
  /** Retries after the first attempt within one send (default 3). */
  retries?: number;
  /** Backoff tuning; tests make it tiny. */
  retry?: Partial<Omit<RetryOptions, 'retries'>>;
}

/** Dependencies every HTTP sink takes. */
export interface HttpSinkDeps {
  logger?: Logger;
  now?: () => Date;
  /** Jitter only; seeded in tests. */
  random?: () => number;
  /** Builds the axios client; the shared policy by default. */
  createHttpClient?: (options: HttpClientOptions) => AxiosInstance;
}

export const httpSinkDefaults = { timeoutMs: 10_000, retries: 3 } as const;

export type PostOutcome = { ok: true } | { ok: false; retryable: boolean; reason: string };

/** A POST function bound to one sink's client and URL. */
export interface HttpPoster {
  post(body: string, headers?: Record<string, string>, signal?: AbortSignal): Promise<PostOutcome>;
  /** Removes the URL and its path segments from a text that might echo them. */
  redact(text: string): string;
}

/** Longest part of a response body kept in a failure reason (Slack says `invalid_blocks`). */
const maxBodySnippet = 200;

/**
 * Pieces of a URL that may be credentials on their own: the whole URL, its path and query,
 * each path segment and query value long enough to be a token.
 */
function secretPartsOf(url: string): string[] {
  const parts = [url];
  try {
    const parsed = new URL(url);
    parts.push(parsed.pathname + parsed.search, parsed.pathname, parsed.search);
    for (const segment of parsed.pathname.split('/')) if (segment.length >= 8) parts.push(segment);
    for (const value of parsed.searchParams.values()) if (value.length >= 8) parts.push(value);
    if (parsed.password) parts.push(parsed.password);
  } catch {
    // Not a URL: the whole string is all we can redact.
    return parts;
  }
  // Longest first, so a path is replaced before its own segments shred it.
  return [...new Set(parts)].filter((p) => p.length >= 4 && p !== '/').sort((a, b) => b.length - a.length);
}

/**
 * A sink's URL (read from a file or a secrets store, where no schema checked it) is not an
 * http(s) URL. The message never quotes it: a webhook URL carries its credential.
 */
export class WebhookUrlError extends InputError {
  override name = 'WebhookUrlError';

  constructor() {
    super('the webhook URL is not an http:// or https:// URL');
  }
}

/**
 * Builds the client for a sink and returns its POST. Throws {@link WebhookUrlError} for a URL
 * that is not http(s), instead of a bare TypeError from every send.
 */
export function createHttpPoster(sinkName: string, options: HttpSinkOptions, deps: HttpSinkDeps): HttpPoster {
  if (!isHttpUrl(options.url)) throw new WebhookUrlError();
  const secrets = secretPartsOf(options.url);
  const redact = (text: string): string => redactSecrets(text, secrets);
  const logger = deps.logger;
  const client = (deps.createHttpClient ?? createHttpClient)({
    timeoutMs: options.timeoutMs ?? httpSinkDefaults.timeoutMs,
    retry: { ...options.retry, retries: options.retries ?? httpSinkDefaults.retries },
    random: deps.random,
    now: deps.now,
    onRetry: ({ retryNumber, reason }) => logger?.info('sink retry', { sink: sinkName, retryNumber, reason }),
  });

  return {
    redact,
    async post(body, headers = {}, signal) {
      try {
        await client.post(options.url, body, {
          headers: { 'content-type': 'application/json', ...headers },
          signal,
          responseType: 'text',
          // Keep the body as text: error bodies are short words (Slack) or HTML (proxies).
          transformResponse: (data: unknown) => data,
        });
        return { ok: true };
      } catch (error) {
        return classify(error, redact);
      }
    },
  };
}

function classify(error: unknown, redact: (text: string) => string): PostOutcome {
  if (axios.isCancel(error) || (axios.isAxiosError(error) && error.code === 'ERR_CANCELED')) {
    return { ok: false, retryable: true, reason: 'aborted' };
  }
  const { status, reason } = describeHttpFailure(error);
  if (status === undefined) return { ok: false, retryable: true, reason };
  let detail = '';
  if (axios.isAxiosError(error) && typeof error.response?.data === 'string') {
    const snippet = error.response.data.replace(/\s+/g, ' ').trim().slice(0, maxBodySnippet);
    if (snippet !== '') detail = `: ${redact(snippet)}`;
  }
  return { ok: false, retryable: isRetryableStatus(status), reason: `${reason}${detail}` };
}

/** One HTTP request of a batch and the notifications it carries. */
export interface Message {
  ids: readonly string[];
  body: string;
  headers?: Record<string, string>;
}

/**
 * Sends the messages of one batch one after another and reports each notification by the
 * outcome of its message. A failed message does not stop the others (each is its own delivery).
 */
export async function deliverMessages(
  poster: HttpPoster,
  messages: readonly Message[],
  signal: AbortSignal | undefined,
): Promise<DeliveryResult> {
  const result: DeliveryResult = { delivered: [], failed: [] };
  for (const message of messages) {
    const outcome = await poster.post(message.body, message.headers, signal);
    if (outcome.ok) result.delivered.push(...message.ids);
    else for (const id of message.ids) result.failed.push({ id, retryable: outcome.retryable, reason: outcome.reason });
  }
  return result;
}
