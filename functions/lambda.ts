/**
 * TEMPORARY PLACEHOLDER so that `serverless package` has a handler to bundle (issue 4, step 1).
 * The real middy handler (Secrets Manager, DynamoDB state, runDetection) replaces this file in
 * step 2. Until then every invocation fails loudly instead of pretending to detect anything.
 */
import { AiopsError } from '../lib/errors.js';

/** Throws: not wired to runDetection yet. */
export function handler(): Promise<never> {
  return Promise.reject(new AiopsError('aiops-detector Lambda handler is not wired yet (placeholder, issue 4 step 2)'));
}
