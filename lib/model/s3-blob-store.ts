/**
 * The `s3` adapter of the BlobStore port: one object per key in an S3 bucket, under an optional
 * prefix (`s3://bucket/prefix/<key>`). For Lambda; with `endpoint` and `forcePathStyle`, for
 * MinIO in a cluster or any other S3-compatible server.
 *
 * A PutObject is atomic in S3 itself: a reader gets the old object or the new one. A missing key
 * (NoSuchKey) reads as undefined; a missing bucket (NoSuchBucket, also a 404) stays an error,
 * so a misconfigured store fails loudly instead of starting every series over. `list` follows
 * ListObjectsV2's continuation tokens through every page and skips objects whose names are no
 * key (a console's `folder/` marker). Errors become BlobStoreError naming the bucket and key,
 * with the S3 error's code and message. The secret key never leaves the client, and the cause
 * kept is a summary of the SDK's error without what shows the rest (see withoutCredentials).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { errorMessage } from '../errors.js';
import { blobKeyProblem, checkBlobKey, checkBlobPrefix, checkNotAborted, type BlobStore } from './blob-store.js';
import { BlobKeyError, BlobStoreError } from './errors.js';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Keys live under `<prefix>/`; a trailing '/' is optional. None: at the bucket's root. */
  prefix?: string;
  /** Region of the bucket; the SDK's default chain (AWS_REGION) when absent. */
  region?: string;
  /** An S3-compatible server instead of AWS (`http://minio.storage:9000`). */
  endpoint?: string;
  /** `http://host/bucket/key` instead of `http://bucket.host/key`: what MinIO and s3rver need. */
  forcePathStyle?: boolean;
  /** Keys asked for per ListObjectsV2 page (S3's most and default: 1000); small in tests. */
  maxKeysPerPage?: number;
}

export interface S3BlobStoreDeps {
  /** The S3 client; tests point one at s3rver. Not destroyed by `close()` when given. */
  client?: S3Client;
}

/** The most keys S3 returns in one ListObjectsV2 page. */
const s3MaxKeysPerPage = 1000;

/** What a user can do about the S3 errors that have one answer. */
const hints: Record<string, string> = {
  NoSuchBucket: 'the bucket does not exist (create it, or check the name, region and endpoint)',
  AccessDenied:
    'access denied (the role needs s3:GetObject, s3:PutObject, s3:DeleteObject on the objects and s3:ListBucket on ' +
    'the bucket; without s3:ListBucket, S3 answers a missing key with AccessDenied too)',
  InvalidAccessKeyId: 'the AWS access key id is not known to this S3',
  SignatureDoesNotMatch: 'the request signature does not match (wrong secret access key, or a proxy changed the request)',
  ExpiredToken: 'the AWS credentials have expired',
  PermanentRedirect: 'the bucket is in another region (set region)',
};

/** `prefix` as it is put before every key: '' or `a/b/`. */
function normalPrefix(prefix: string | undefined, bucket: string): string {
  const bare = (prefix ?? '').replace(/\/$/, '');
  if (bare === '') return '';
  const problem = blobKeyProblem(bare);
  if (problem) throw new BlobKeyError(`Blob store s3://${bucket}: prefix ${JSON.stringify(prefix)} ${problem}`, prefix ?? '');
  return `${bare}/`;
}

/** The server part of an endpoint, for logs (never a path or user info). */
function endpointOrigin(endpoint: string): string {
  return URL.canParse(endpoint) ? new URL(endpoint).origin : '<endpoint>';
}

/**
 * The cause kept for an SDK error: its name, message, stack and `$metadata` (HTTP status, the
 * request ids AWS support asks for). Not the SDK's error itself: its hidden `$response` (which
 * cannot be deleted) holds the request, whose Authorization header names the access key id and,
 * with temporary credentials, carries the session token; an auth error also echoes the key id
 * and the string it signed in fields of its own.
 */
function withoutCredentials(error: unknown): unknown {
  if (!(error instanceof Error) || !('$metadata' in error || '$response' in error)) return error;
  const summary = new Error(error.message);
  summary.name = error.name;
  if (error.stack !== undefined) summary.stack = error.stack;
  return Object.assign(summary, { $metadata: (error as { $metadata?: unknown }).$metadata });
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

function httpStatusOf(error: unknown): number | undefined {
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

/** A store of one object per key in `options.bucket`. */
export function createS3BlobStore(options: S3BlobStoreOptions, deps: S3BlobStoreDeps = {}): BlobStore {
  const { bucket } = options;
  const prefix = normalPrefix(options.prefix, bucket);
  const maxKeysPerPage = options.maxKeysPerPage ?? s3MaxKeysPerPage;
  const at = options.endpoint ? ` at ${endpointOrigin(options.endpoint)}` : '';
  const description = `s3://${bucket}${prefix === '' ? '' : `/${prefix.slice(0, -1)}`}${at}`;
  const ownsClient = deps.client === undefined;
  const client = deps.client ?? new S3Client(clientConfig(options));

  const fail = (operation: string, where: string, caught: unknown, signal: AbortSignal | undefined): BlobStoreError => {
    const error = withoutCredentials(caught);
    if (signal?.aborted) return new BlobStoreError(`Blob store ${description}: ${operation} ${where} aborted`, { cause: error });
    const name = errorName(error);
    const status = httpStatusOf(error);
    const code = `${name}${status === undefined ? '' : ` (HTTP ${status})`}`;
    const hint = hints[name] ?? (/region is missing/i.test(errorMessage(error)) ? 'no AWS region (set region or AWS_REGION)' : undefined);
    return new BlobStoreError(
      `Blob store ${description}: ${operation} ${where} failed: ${hint ? `${hint}: ` : ''}${code ? `${code}: ` : ''}${errorMessage(error)}`,
      { cause: error },
    );
  };
  const objectOf = (key: string): string => `${prefix}${key}`;
  const where = (key: string): string => `of s3://${bucket}/${objectOf(key)}`;

  return {
    description,

    async get(key, { signal } = {}) {
      checkNotAborted(signal, description, `get ${key}`);
      checkBlobKey(key, description);
      try {
        const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectOf(key) }), { abortSignal: signal });
        if (!output.Body) throw new Error('the response has no body');
        return await output.Body.transformToByteArray();
      } catch (error) {
        if (errorName(error) === 'NoSuchKey') return undefined;
        throw fail('GetObject', where(key), error, signal);
      }
    },

    async put(key, body, { signal } = {}) {
      checkNotAborted(signal, description, `put ${key}`);
      checkBlobKey(key, description);
      try {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: objectOf(key), Body: body, ContentType: 'application/octet-stream' }),
          { abortSignal: signal },
        );
      } catch (error) {
        throw fail('PutObject', where(key), error, signal);
      }
    },

    async delete(key, { signal } = {}) {
      checkNotAborted(signal, description, `delete ${key}`);
      checkBlobKey(key, description);
      try {
        // S3 answers 204 whether or not the key was there.
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectOf(key) }), { abortSignal: signal });
      } catch (error) {
        // Some S3-compatible servers answer an absent key with NoSuchKey; absent is what we wanted.
        if (errorName(error) === 'NoSuchKey') return;
        throw fail('DeleteObject', where(key), error, signal);
      }
    },

    async list(keyPrefix, { signal } = {}) {
      checkNotAborted(signal, description, `list ${keyPrefix}`);
      checkBlobPrefix(keyPrefix, description);
      const keys: string[] = [];
      let continuationToken: string | undefined;
      do {
        let page;
        try {
          page = await client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: `${prefix}${keyPrefix}`,
              MaxKeys: maxKeysPerPage,
              ContinuationToken: continuationToken,
            }),
            { abortSignal: signal },
          );
        } catch (error) {
          throw fail('ListObjectsV2', `of s3://${bucket}/${prefix}${keyPrefix}`, error, signal);
        }
        for (const object of page.Contents ?? []) {
          const key = object.Key?.slice(prefix.length);
          if (key !== undefined && object.Key?.startsWith(prefix) && blobKeyProblem(key) === undefined) keys.push(key);
        }
        if (page.IsTruncated && !page.NextContinuationToken) {
          throw new BlobStoreError(`Blob store ${description}: ListObjectsV2 answered a truncated page without a continuation token`);
        }
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (continuationToken);
      // S3 lists in byte order already; sorting keeps the promise on servers that do not.
      return keys.sort();
    },

    close() {
      if (ownsClient) client.destroy();
      return Promise.resolve();
    },
  };
}

/** The client for options without an injected one. */
function clientConfig(options: S3BlobStoreOptions): S3ClientConfig {
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.forcePathStyle !== undefined ? { forcePathStyle: options.forcePathStyle } : {}),
  };
}
