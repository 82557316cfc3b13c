/**
 * A BlobStore in process memory: for tests, the demo and dry runs (it lasts as long as the
 * process). Bytes are copied on the way in and out, so neither the writer nor a reader can
 * change what is stored by changing the array it holds.
 */
import { checkBlobKey, checkBlobPrefix, checkNotAborted, type BlobStore } from './blob-store.js';

/** `fn` as a promise: what it throws (a bad key) rejects, as it does from the other adapters. */
function settle<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => resolve(fn()));
}

/** A store holding every blob in a Map. */
export function createMemoryBlobStore(): BlobStore {
  const description = 'memory';
  const blobs = new Map<string, Uint8Array>();
  return {
    description,
    get: (key, { signal } = {}) =>
      settle(() => {
        checkNotAborted(signal, description, `get ${key}`);
        checkBlobKey(key, description);
        return blobs.get(key)?.slice();
      }),
    put: (key, body, { signal } = {}) =>
      settle(() => {
        checkNotAborted(signal, description, `put ${key}`);
        checkBlobKey(key, description);
        blobs.set(key, new Uint8Array(body));
      }),
    delete: (key, { signal } = {}) =>
      settle(() => {
        checkNotAborted(signal, description, `delete ${key}`);
        checkBlobKey(key, description);
        blobs.delete(key);
      }),
    list: (prefix, { signal } = {}) =>
      settle(() => {
        checkNotAborted(signal, description, `list ${prefix}`);
        checkBlobPrefix(prefix, description);
        return [...blobs.keys()].filter((key) => key.startsWith(prefix)).sort();
      }),
  };
}
