/**
 * What the S3 BlobStore decides without a server: its description, its prefix, and a listing
 * that cannot go on. Everything that talks to S3 is tested against s3rver in
 * test/integration/s3-blob-store.test.ts; the one stub client here answers what no server does.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { BlobKeyError, BlobStoreError } from '../../../lib/model/errors.js';
import { createS3BlobStore } from '../../../lib/model/s3-blob-store.js';
import { rejection } from '../../support/rejection.js';

const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' } });

describe('s3 BlobStore without a server', () => {
  it('describes bucket, prefix and endpoint (its origin only) for logs', () => {
    expect(createS3BlobStore({ bucket: 'models' }, { client }).description).toBe('s3://models');
    expect(createS3BlobStore({ bucket: 'models', prefix: 'aiops/prod' }, { client }).description).toBe('s3://models/aiops/prod');
    expect(createS3BlobStore({ bucket: 'models', prefix: 'aiops/prod/' }, { client }).description).toBe('s3://models/aiops/prod');
    expect(createS3BlobStore({ bucket: 'models', prefix: '' }, { client }).description).toBe('s3://models');
    const minio = createS3BlobStore({ bucket: 'models', endpoint: 'http://user:pass@minio.storage:9000/some/path', forcePathStyle: true });
    expect(minio.description).toBe('s3://models at http://minio.storage:9000');
  });

  it('refuses a prefix that is no key, naming it', () => {
    for (const prefix of ['/aiops', 'a//b', 'a/../b', 'has space']) {
      expect(() => createS3BlobStore({ bucket: 'models', prefix }, { client }), prefix).toThrow(BlobKeyError);
      expect(() => createS3BlobStore({ bucket: 'models', prefix }, { client }), prefix).toThrow(JSON.stringify(prefix));
    }
  });

  it('fails instead of looping when a page says it is truncated but gives no token', async () => {
    // A stub: s3rver cannot be made to answer this way, and a real S3 never does.
    const stub = { send: () => Promise.resolve({ IsTruncated: true, Contents: [{ Key: 'a' }] }) } as unknown as S3Client;
    const error = await rejection(createS3BlobStore({ bucket: 'models' }, { client: stub }).list(''));
    expect(error).toBeInstanceOf(BlobStoreError);
    expect(error.message).toBe('Blob store s3://models: ListObjectsV2 answered a truncated page without a continuation token');
  });
});
