/**
 * How a failed `query_range` request becomes a SourceError: before the answer (axios' error
 * after the shared retry policy: status, Prometheus' error body, network) and while reading it
 * (limits, not JSON, wrong shape, the body stalling or the connection breaking). Messages name
 * the source and the query, never a header or a secret.
 */
import { Readable } from 'node:stream';
import axios from 'axios';
import { errorMessage } from '../../errors.js';
import { describeHttpFailure } from '../../http/client.js';
import { isRetryableStatus } from '../../http/retry-policy.js';
import { SourceError } from '../errors.js';
import { MatrixShapeError, prometheusErrorOf } from './matrix.js';
import { AnswerIdleError, AnswerLimitError, AnswerSyntaxError } from './matrix-stream.js';

/** Prometheus' error bodies are a line of text; more than this is a proxy's page, not read further. */
const maxErrorBodyBytes = 64 * 1024;

function aborted(where: string, signal: AbortSignal): SourceError {
  return new SourceError(`${where}: aborted (${errorMessage(signal.reason)})`, { retryable: false, cause: signal.reason });
}

/**
 * An axios failure as a SourceError: Prometheus' error text when it sent one, never a header.
 * The error's body is a stream (the request asked for one); it is read here, up to 64 KB.
 */
export async function requestFailure(error: unknown, where: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<SourceError> {
  if (signal?.aborted) {
    if (axios.isAxiosError(error)) releaseBody(error.response?.data);
    return aborted(where, signal);
  }
  // A plain cause: the axios error holds the request config, auth headers included.
  const attempts = attemptsOf(error);
  const after = attempts > 1 ? ` after ${attempts} attempts` : '';
  if (axios.isAxiosError(error) && error.response) {
    const status = error.response.status;
    const text = await bodyText(error.response.data, timeoutMs);
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

/** A failure while reading a successful answer (HTTP `status`) as a SourceError. */
export function answerFailure(error: unknown, where: string, status: number, signal: AbortSignal | undefined): SourceError {
  if (signal?.aborted) return aborted(where, signal);
  if (error instanceof AnswerLimitError) {
    // Not retryable: the next attempt gets the same answer.
    return new SourceError(`${where}: ${error.message}`, { retryable: false, status, cause: error });
  }
  if (error instanceof AnswerSyntaxError) {
    return new SourceError(`${where}: the answer (HTTP ${status}) is not JSON: ${error.message}`, { retryable: false, status, cause: error });
  }
  if (error instanceof MatrixShapeError) {
    return new SourceError(`${where}: unexpected answer: ${error.message}`, { retryable: false, status, cause: error });
  }
  if (error instanceof AnswerIdleError) {
    return new SourceError(`${where} failed: timed out while reading the answer (${error.message})`, { retryable: true, status, cause: error });
  }
  // The stream's own error: the connection was reset or closed in the middle of the body.
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : errorMessage(error);
  return new SourceError(`${where} failed: the connection broke while reading the answer (${code})`, {
    retryable: true,
    status,
    cause: new Error(errorMessage(error)),
  });
}

/** A response body as text: a string as it is, a stream read up to 64 KB within `timeoutMs`. */
async function bodyText(data: unknown, timeoutMs: number): Promise<string> {
  if (typeof data === 'string') return data;
  if (!(data instanceof Readable)) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  const timer = setTimeout(() => data.destroy(new Error(`no data for ${timeoutMs} ms`)), timeoutMs);
  try {
    for await (const chunk of data as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= maxErrorBodyBytes) break;
    }
  } catch {
    // Cut short or stalled: a part of Prometheus' error body is not one; the status is reported.
    return '';
  } finally {
    clearTimeout(timer);
    data.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Frees the connection of a response body nobody will read. */
export function releaseBody(data: unknown): void {
  if (data instanceof Readable) data.destroy();
}

/** Attempts made, from axios-retry's per-request state. */
function attemptsOf(error: unknown): number {
  if (!axios.isAxiosError(error) || !error.config) return 1;
  const state = (error.config as unknown as Record<string, unknown>)['axios-retry'];
  const retryCount = typeof state === 'object' && state !== null ? (state as { retryCount?: unknown }).retryCount : undefined;
  return typeof retryCount === 'number' ? retryCount + 1 : 1;
}
