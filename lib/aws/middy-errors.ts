/**
 * middy's fetching middlewares (@middy/secrets-manager, @middy/ssm, ...) report every failed
 * fetch as one `Error('Failed to resolve internal values')` whose `cause` is
 * `{ package: '@middy/util', data: [the real errors] }`. That message tells a user nothing;
 * the handler unwraps it and reports the real errors (ResourceNotFoundException, ...).
 */

interface MiddyInternalCause {
  package: '@middy/util';
  data: unknown[];
}

function isMiddyInternalCause(cause: unknown): cause is MiddyInternalCause {
  return (
    typeof cause === 'object' &&
    cause !== null &&
    (cause as { package?: unknown }).package === '@middy/util' &&
    Array.isArray((cause as { data?: unknown }).data)
  );
}

/** True for middy's "Failed to resolve internal values" wrapper. */
export function isMiddyResolveError(error: unknown): error is Error & { cause: MiddyInternalCause } {
  return error instanceof Error && isMiddyInternalCause(error.cause);
}

/**
 * The real errors inside middy's "Failed to resolve internal values" wrapper, or `[error]`
 * for any other error, so callers handle both the same way.
 */
export function unwrapMiddyError(error: unknown): unknown[] {
  if (isMiddyResolveError(error) && error.cause.data.length > 0) return error.cause.data;
  return [error];
}
