/**
 * The error a promise rejects with, for tests that look inside it (message, cause, fields);
 * fails the test when the promise resolves instead.
 */
export async function rejection<E extends Error = Error>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected a rejection');
}
