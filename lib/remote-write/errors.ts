import { DeliveryError } from '../errors.js';

/**
 * A remote write that Prometheus (or Amazon Managed Prometheus) did not accept. `retryable` is
 * false for 4xx answers other than 408/425/429: sending the same samples again would be
 * rejected again (Prometheus answers 400 for out-of-order or duplicate samples). The message
 * names the host only, never the path or a credential.
 */
export class RemoteWriteError extends DeliveryError {
  override name = 'RemoteWriteError';
  /** HTTP status of the final attempt; absent for network errors and timeouts. */
  readonly status?: number;

  constructor(message: string, options: { retryable: boolean; status?: number; cause?: unknown }) {
    super(message, { retryable: options.retryable, cause: options.cause });
    this.status = options.status;
  }
}
