import { AiopsError } from '../errors.js';

/**
 * A Lambda run that did not fully succeed: a detector failed, a delivery is still pending, or
 * the run stopped before its deadline. Thrown after the summary line is written, so the
 * invocation counts as failed (the `Errors` metric, the on-failure destination). The message
 * is secret-free: detector names, counts and the secret-free reasons from the summary.
 */
export class RunFailedError extends AiopsError {
  override name = 'RunFailedError';
}

/** The Lambda's input event cannot be used (`{"detectors": [...]}` with a typo, wrong types). */
export class LambdaInputError extends AiopsError {
  override name = 'LambdaInputError';
}
