/**
 * The one retry policy for HTTP, used by sources and sinks alike (Alertmanager's notify/util.go
 * and ky's retry options are the models): 5xx, 429 and network errors retry with exponential
 * backoff and jitter; other 4xx are final. `Retry-After` is honoured up to a cap.
 */

/** Status codes worth another try. 408 and 429 are the client errors that are about timing. */
export const retryStatusCodes: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504]);

/** True for a status the server may answer differently later. Any 5xx counts, not only the listed. */
export function isRetryableStatus(status: number): boolean {
  return retryStatusCodes.has(status) || (status >= 500 && status <= 599);
}

/** Backoff before attempt `retryNumber` (1-based): base * 2^(n-1), capped, with full jitter. */
export function backoffMs(retryNumber: number, baseMs: number, capMs: number, random: () => number): number {
  const exponential = Math.min(capMs, baseMs * 2 ** (retryNumber - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/**
 * Milliseconds to wait according to a `Retry-After` header (RFC 9110 section 10.2.3: either
 * delay-seconds or an HTTP-date), or undefined when absent or unreadable.
 */
export function retryAfterMs(header: string | undefined | null, now: Date): number | undefined {
  if (header == null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}

export interface RetryOptions {
  /** Retries after the first attempt. */
  retries: number;
  /** First backoff; doubles each retry. */
  baseDelayMs: number;
  /** No single wait is longer than this, `Retry-After` included. */
  maxDelayMs: number;
}

export const defaultRetryOptions: RetryOptions = { retries: 3, baseDelayMs: 200, maxDelayMs: 10_000 };
