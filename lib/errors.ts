/**
 * The one error base class of aiops-detector. Adapters turn vendor errors (axios, AWS SDK,
 * zod) into a subclass of this, keeping the original as `cause`. Messages never carry a
 * secret: URLs are redacted with {@link redactUrl} before they reach a message.
 */
export class AiopsError extends Error {
  override name = 'AiopsError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Input that cannot be used as given (a CSV cell, a matrix, a CLI flag). Says what and where. */
export class InputError extends AiopsError {
  override name = 'InputError';
}

/** An operation that may succeed if tried again later (5xx, 429, network) carries `retryable`. */
export class DeliveryError extends AiopsError {
  override name = 'DeliveryError';
  readonly retryable: boolean;

  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.retryable = options.retryable;
  }
}

/** The message of any thrown value, without a stack. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
