import { Readable } from 'node:stream';
import axios, { type AxiosInstance, type AxiosError } from 'axios';
import axiosRetry from 'axios-retry';
import {
  backoffMs,
  defaultRetryOptions,
  isRetryableStatus,
  retryAfterMs,
  type RetryOptions,
} from './retry-policy.js';

export interface HttpClientOptions {
  /** Per-attempt timeout. */
  timeoutMs: number;
  retry?: Partial<RetryOptions>;
  /** Seeded in tests; jitter only, never correctness. */
  random?: () => number;
  now?: () => Date;
  /** Called before each retry, for a log line (the URL is not passed: it may be a secret). */
  onRetry?: (info: { retryNumber: number; delayMs: number; reason: string }) => void;
}

/**
 * An axios instance with the shared retry policy. Every source and sink builds its client here,
 * so the policy changes in one place. The instance does not throw on any status by itself
 * being retried; after the last retry axios' error surfaces to the adapter, which turns it
 * into its own error type with the URL redacted.
 */
export function createHttpClient(options: HttpClientOptions): AxiosInstance {
  const retry = { ...defaultRetryOptions, ...options.retry };
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => new Date());
  const client = axios.create({ timeout: options.timeoutMs, maxRedirects: 0 });
  axiosRetry(client, {
    retries: retry.retries,
    shouldResetTimeout: true,
    retryCondition: (error: AxiosError) => {
      if (error.response) return isRetryableStatus(error.response.status);
      // No response: connection refused, reset, DNS, timeout. Cancellation is not retried.
      return !axios.isCancel(error) && error.code !== 'ERR_CANCELED';
    },
    retryDelay: (retryNumber: number, error: AxiosError) => {
      const header = error.response?.headers?.['retry-after'] as string | undefined;
      const fromHeader = retryAfterMs(header, now());
      const delay = fromHeader ?? backoffMs(retryNumber, retry.baseDelayMs, retry.maxDelayMs, random);
      return Math.min(delay, retry.maxDelayMs);
    },
    onRetry: (retryNumber, error) => {
      // A streamed body of the failed attempt is not read: free its connection now.
      const data: unknown = error.response?.data;
      if (data instanceof Readable) data.destroy();
      const reason = error.response ? `HTTP ${error.response.status}` : (error.code ?? 'network error');
      options.onRetry?.({ retryNumber, delayMs: 0, reason });
    },
  });
  return client;
}

/** A short, secret-free description of an axios failure: status or network code. */
export function describeHttpFailure(error: unknown): { status?: number; reason: string } {
  if (axios.isAxiosError(error)) {
    if (error.response) return { status: error.response.status, reason: `HTTP ${error.response.status}` };
    if (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT') return { reason: 'timed out' };
    return { reason: error.code ?? 'network error' };
  }
  return { reason: error instanceof Error ? error.name : 'unknown error' };
}
