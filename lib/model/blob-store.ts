/**
 * The BlobStore port: bytes under a key, kept between runs. Per-series detector state (window
 * points, fitted model) lives in one, in the deployment's store. Adapters: memory (tests, demo,
 * dry runs), file (CLI, a Kubernetes volume), s3 (Lambda; MinIO in a cluster). Every adapter
 * passes the shared contract test in test/unit/model/blob-store-contract.ts.
 *
 * Keys are '/'-separated relative paths of [A-Za-z0-9._-] segments, so the same key means the
 * same thing as a file path and as an S3 object name: no empty segment, no `.` or `..`, no
 * leading or trailing '/'. They are compared, listed and sorted as bytes (all ASCII), which is
 * S3's order too: `-` < `.` < `/` < digits < upper case < `_` < lower case. A key is never
 * also the folder of other keys (`a` beside `a/b`): a file cannot be a folder, so the file
 * adapter refuses such a put.
 */
import { BlobKeyError, BlobStoreError } from './errors.js';

export interface BlobStore {
  /** Secret-free, for logs: "file /var/lib/x", "s3://bucket/prefix". */
  readonly description: string;
  /** The bytes under key, or undefined when there is none. */
  get(key: string, options?: { signal?: AbortSignal }): Promise<Uint8Array | undefined>;
  /** Stores bytes under key atomically: a reader sees the old bytes or the new, never a mix. */
  put(key: string, body: Uint8Array, options?: { signal?: AbortSignal }): Promise<void>;
  /** Removes key; no error when absent. */
  delete(key: string, options?: { signal?: AbortSignal }): Promise<void>;
  /** Every key starting with prefix (all pages), in ascending order. */
  list(prefix: string, options?: { signal?: AbortSignal }): Promise<string[]>;
  /** Releases clients and handles. */
  close?(): Promise<void>;
}

const segmentPattern = /^[A-Za-z0-9._-]+$/;

/** The longest key: S3's limit on an object name (a store's own prefix counts against it too). */
export const maxBlobKeyLength = 1024;
/** The longest segment: a file name on common file systems (NAME_MAX). */
export const maxBlobSegmentLength = 255;

/** Why `segment` cannot be one segment of a key, or undefined when it can. */
function segmentProblem(segment: string): string | undefined {
  if (segment === '') return 'has an empty segment (a leading, trailing or doubled "/")';
  if (segment === '.' || segment === '..') return `has a "${segment}" segment`;
  if (!segmentPattern.test(segment)) return 'has a character outside [A-Za-z0-9._-] in a segment';
  if (segment.length > maxBlobSegmentLength) return `has a segment longer than ${maxBlobSegmentLength} characters`;
  return undefined;
}

/** Why `key` is not a valid key, or undefined when it is. */
export function blobKeyProblem(key: string): string | undefined {
  if (key === '') return 'is empty';
  if (key.length > maxBlobKeyLength) return `is longer than ${maxBlobKeyLength} characters`;
  for (const segment of key.split('/')) {
    const problem = segmentProblem(segment);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * Why `prefix` cannot start any valid key, or undefined when it can. Empty lists everything;
 * the part after the last '/' may be the start of a segment (`series/ab` lists `series/abc`).
 */
export function blobPrefixProblem(prefix: string): string | undefined {
  if (prefix === '') return undefined;
  if (prefix.length > maxBlobKeyLength) return `is longer than ${maxBlobKeyLength} characters`;
  const segments = prefix.split('/');
  const partial = segments.pop() ?? '';
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem) return problem;
  }
  if (partial !== '' && !segmentPattern.test(partial)) return 'has a character outside [A-Za-z0-9._-] in a segment';
  return undefined;
}

/** Throws BlobKeyError naming `key` and the store when it is not a valid key. */
export function checkBlobKey(key: string, description: string): void {
  const problem = typeof key === 'string' ? blobKeyProblem(key) : 'is not a string';
  if (problem) throw new BlobKeyError(`Blob store ${description}: key ${JSON.stringify(key)} ${problem}`, String(key));
}

/** Throws BlobKeyError naming `prefix` and the store when no valid key can start with it. */
export function checkBlobPrefix(prefix: string, description: string): void {
  const problem = typeof prefix === 'string' ? blobPrefixProblem(prefix) : 'is not a string';
  if (problem) throw new BlobKeyError(`Blob store ${description}: list prefix ${JSON.stringify(prefix)} ${problem}`, String(prefix));
}

/**
 * Throws BlobStoreError when `signal` has aborted. Every adapter checks before it starts, so an
 * aborted run changes nothing; the reason is the cause.
 */
export function checkNotAborted(signal: AbortSignal | undefined, description: string, operation: string): void {
  if (signal?.aborted) {
    throw new BlobStoreError(`Blob store ${description}: ${operation} aborted`, { cause: signal.reason });
  }
}
