import { AiopsError } from '../errors.js';

/**
 * A window that could not be read. The message names the source (URL reduced to its host)
 * and the query; Prometheus' own `errorType` and `error` are kept as they came. `retryable`
 * says whether the next run may succeed (5xx, 429, network, timeout) or the query itself is
 * wrong (4xx, malformed answer).
 */
export class SourceError extends AiopsError {
  override name = 'SourceError';
  readonly retryable: boolean;
  /** HTTP status, when a response arrived. */
  readonly status?: number;
  /** Prometheus' `errorType` (`bad_data`, `timeout`, `execution`, ...), when it sent one. */
  readonly errorType?: string;

  constructor(
    message: string,
    options: { retryable: boolean; status?: number; errorType?: string; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.retryable = options.retryable;
    if (options.status !== undefined) this.status = options.status;
    if (options.errorType !== undefined) this.errorType = options.errorType;
  }
}

/** A query shortened for messages: PromQL can be long, the first 200 characters identify it. */
export function shortQuery(query: string): string {
  const oneLine = query.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 197)}...` : oneLine;
}
