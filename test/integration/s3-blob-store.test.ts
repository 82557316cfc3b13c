/**
 * The S3 BlobStore against s3rver (a fake S3 in its own process, test/support/s3rver.ts) with
 * the real @aws-sdk/client-s3: the shared contract under a prefix, every page of a listing,
 * what the prefix hides, and the errors of a missing bucket and of unknown credentials.
 */
import { inspect } from 'node:util';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobStoreError } from '../../lib/model/errors.js';
import { createS3BlobStore } from '../../lib/model/s3-blob-store.js';
import { rejection } from '../support/rejection.js';
import { s3rverCredentials, startS3rver, type S3rver } from '../support/s3rver.js';
import { describeBlobStoreContract } from '../unit/model/blob-store-contract.js';

let s3: S3rver;
let bucketCount = 0;

beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3.stop();
});

/** A fresh bucket per test: tests never see each other's objects. */
async function freshBucket(): Promise<string> {
  bucketCount += 1;
  const bucket = `blobs-${bucketCount}`;
  await s3.createBucket(bucket);
  return bucket;
}

describeBlobStoreContract('s3', async () => ({
  store: createS3BlobStore({ bucket: await freshBucket(), prefix: 'aiops/models' }, { client: s3.client }),
  cleanup: () => Promise.resolve(),
}));

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

/** Counts the ListObjectsV2 requests a client sends. */
function countListRequests(client: S3Client): { readonly count: number } {
  const counter = { count: 0 };
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'ListObjectsV2Command') counter.count += 1;
      return next(args);
    },
    { step: 'initialize', name: `countListRequests${bucketCount}` },
  );
  return counter;
}

describe('s3 BlobStore', () => {
  it('keeps each key as the object <prefix>/<key>, with a description for logs', async () => {
    const bucket = await freshBucket();
    const store = createS3BlobStore({ bucket, prefix: 'aiops/models/' }, { client: s3.client });
    await store.put('latency/0f3a', text('model bytes'));
    const object = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'aiops/models/latency/0f3a' }));
    expect(await object.Body?.transformToString()).toBe('model bytes');
    expect(store.description).toBe(`s3://${bucket}/aiops/models`);
    expect(createS3BlobStore({ bucket }, { client: s3.client }).description).toBe(`s3://${bucket}`);
  });

  it('lists every page: 1,100 keys over two pages of S3 default 1000', async () => {
    const bucket = await freshBucket();
    const client = s3.clientWith({});
    const requests = countListRequests(client);
    const store = createS3BlobStore({ bucket, prefix: 'p' }, { client });
    // Equal-length names: s3rver pages correctly only when folder order is byte order (see the support file).
    const keys = Array.from({ length: 1_100 }, (_, i) => `series/${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 100) {
      await Promise.all(keys.slice(i, i + 100).map((key) => store.put(key, text(key))));
    }
    expect(await store.list('series/')).toEqual(keys);
    expect(requests.count).toBe(2);
  }, 120_000);

  it('follows continuation tokens page by page with a small page size', async () => {
    const bucket = await freshBucket();
    const client = s3.clientWith({});
    const requests = countListRequests(client);
    const store = createS3BlobStore({ bucket, maxKeysPerPage: 7 }, { client });
    const keys = Array.from({ length: 50 }, (_, i) => `m/${String(i).padStart(3, '0')}`);
    await Promise.all(keys.map((key) => store.put(key, text(key))));
    expect(await store.list('m/')).toEqual(keys);
    expect(requests.count).toBe(Math.ceil(50 / 7));
    expect(await store.list('m/04')).toEqual(['m/040', 'm/041', 'm/042', 'm/043', 'm/044', 'm/045', 'm/046', 'm/047', 'm/048', 'm/049']);
  });

  it('lists only its own prefix, and skips objects whose names are no key', async () => {
    const bucket = await freshBucket();
    const store = createS3BlobStore({ bucket, prefix: 'aiops/models' }, { client: s3.client });
    await store.put('a', text('mine'));
    // (s3rver cannot store a name with '//', which S3 can: the key rules refuse it anyway.)
    for (const key of ['aiops/models-old/a', 'aiops/modelsa', 'other/a', 'aiops/models/has space', 'aiops/models/dir/', 'aiops/models/a/.']) {
      await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text('not mine') }));
    }
    expect(await store.list('')).toEqual(['a']);
    expect(await createS3BlobStore({ bucket }, { client: s3.client }).list('aiops/models/')).toEqual(['aiops/models/a']);
  });

  it('fails on a missing bucket for every operation (a missing bucket is no missing key)', async () => {
    const store = createS3BlobStore({ bucket: 'no-such-bucket', prefix: 'm' }, { client: s3.client });
    // One call at a time: a rejection nobody awaits yet would be reported as unhandled.
    for (const operation of [() => store.get('k'), () => store.put('k', text('x')), () => store.list('')]) {
      const error = await rejection(operation());
      expect(error).toBeInstanceOf(BlobStoreError);
      expect(error.message).toMatch(/^Blob store s3:\/\/no-such-bucket\/m: \w+ of s3:\/\/no-such-bucket\/m\/k? ?/);
      expect(error.message).toContain('NoSuchBucket (HTTP 404)');
      expect(error.message).toContain('the bucket does not exist');
    }
  });

  it('reports unknown credentials without the access key id or secret, in the message or the cause', async () => {
    const bucket = await freshBucket();
    const credentials = { accessKeyId: 'AKIAUNKNOWNKEY7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY' };
    const store = createS3BlobStore({ bucket }, { client: s3.clientWith({ credentials }) });
    // One call at a time: a rejection nobody awaits yet would be reported as unhandled.
    for (const operation of [() => store.get('k'), () => store.put('k', text('x')), () => store.delete('k'), () => store.list('')]) {
      const error = await rejection(operation());
      expect(error).toBeInstanceOf(BlobStoreError);
      expect(error.message).toContain('InvalidAccessKeyId (HTTP 403)');
      expect(error.message).toContain(`s3://${bucket}`);
      // Hidden fields too: the SDK keeps the raw response, with the request's headers, out of sight.
      const everything = inspect(error, { depth: 12, showHidden: true });
      expect(everything).not.toContain(credentials.accessKeyId);
      expect(everything).not.toContain(credentials.secretAccessKey);
      // What the cause keeps: the code and the status, for whoever reads the log.
      expect(error.cause).toMatchObject({ name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 } });
    }
  });

  describe('built from options alone, as a config would (credentials from the environment)', () => {
    const names = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE'];
    const saved: Record<string, string | undefined> = {};
    beforeAll(() => {
      for (const name of names) saved[name] = process.env[name];
      process.env.AWS_ACCESS_KEY_ID = s3rverCredentials.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = s3rverCredentials.secretAccessKey;
      delete process.env.AWS_PROFILE;
      // Keep a developer's ~/.aws out of the test.
      process.env.AWS_CONFIG_FILE = '/nonexistent/aiops-detector-test-config';
      process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/aiops-detector-test-credentials';
    });
    afterAll(() => {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    it('reaches s3rver through endpoint, region and forcePathStyle, and says where in its description', async () => {
      const bucket = await freshBucket();
      const store = createS3BlobStore({ bucket, prefix: 'm', region: 'eu-west-1', endpoint: s3.endpoint, forcePathStyle: true });
      try {
        await store.put('k', text('via options'));
        expect(new TextDecoder().decode(await store.get('k'))).toBe('via options');
        expect(store.description).toBe(`s3://${bucket}/m at ${s3.endpoint}`);
      } finally {
        await store.close?.();
      }
    });
  });
});
