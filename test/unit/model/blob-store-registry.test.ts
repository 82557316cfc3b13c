import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { entrySchemas } from '../../../lib/config/fields.js';
import {
  blobStoreForms,
  blobStoreKinds,
  blobStoreShorthand,
  blobStoreShorthandMessage,
  createBlobStore,
  type BlobStoreConfig,
} from '../../../lib/model/blob-store-registry.js';
import { createMemoryBlobStore } from '../../../lib/model/memory-blob-store.js';

/** The schema lib/config will build from the registry, as the alert state store's is built. */
const objectSchema = z.discriminatedUnion('type', entrySchemas(blobStoreKinds, {}));
const shorthandSchema = z
  .string()
  .transform((text, ctx) => {
    const object = blobStoreShorthand(text);
    if (object) return object;
    ctx.addIssue({ code: 'custom', message: blobStoreShorthandMessage(text) });
    return z.NEVER;
  })
  .pipe(objectSchema);
const schema = z.union([shorthandSchema, objectSchema]);

function issues(input: unknown, against: z.ZodType = schema): string[] {
  const result = against.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('blob store registry', () => {
  it('lists its forms for messages', () => {
    expect(blobStoreForms).toEqual(['memory', 'file:PATH', 's3:BUCKET[/PREFIX]']);
    expect(blobStoreShorthandMessage('nfs:/x')).toBe('must be memory, file:PATH or s3:BUCKET[/PREFIX] (got "nfs:/x")');
  });

  it('reads each shorthand as the object it stands for', () => {
    expect(schema.parse('memory')).toEqual({ type: 'memory' });
    expect(schema.parse(' file:/var/lib/aiops-detector/models ')).toEqual({ type: 'file', directory: '/var/lib/aiops-detector/models' });
    expect(schema.parse('s3:models')).toEqual({ type: 's3', bucket: 'models' });
    expect(schema.parse('s3:models/')).toEqual({ type: 's3', bucket: 'models' });
    expect(schema.parse('s3:models/aiops/prod')).toEqual({ type: 's3', bucket: 'models', prefix: 'aiops/prod' });
    expect(blobStoreShorthand('file:')).toBeUndefined();
    expect(blobStoreShorthand('dynamodb:t')).toBeUndefined();
  });

  it('takes the object form with every s3 key', () => {
    const config = { type: 's3', bucket: 'models', prefix: 'aiops/', region: 'eu-west-1', endpoint: 'http://minio.storage:9000', forcePathStyle: true };
    expect(schema.parse(config)).toEqual(config);
  });

  it('says what is wrong: a bucket name, a prefix, an unknown key or type, a missing key', () => {
    expect(issues('s3:Models_Bucket', shorthandSchema)).toEqual(['bucket: must be an S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens']);
    expect(issues({ type: 's3', bucket: 'models', prefix: 'a//b' }, objectSchema)).toEqual([
      `prefix: must be a path of [A-Za-z0-9._-] segments joined by '/': "a//b" has an empty segment (a leading, trailing or doubled "/")`,
    ]);
    expect(issues(blobStoreShorthand('s3:models/../x'), objectSchema)[0]).toMatch(/^prefix: .*"\.\.\/x" has a "\.\." segment/);
    expect(issues({ type: 's3', bucket: 'models', endpoint: 'minio:9000' }, objectSchema)).toEqual(['endpoint: must be an http:// or https:// URL']);
    expect(issues({ type: 'file', directory: '/x', dir: '/y' }, objectSchema)[0]).toMatch(/dir/);
    expect(issues({ type: 'file' }, objectSchema)[0]).toMatch(/^directory: /);
    expect(issues('nfs:/x', shorthandSchema)).toEqual([': must be memory, file:PATH or s3:BUCKET[/PREFIX] (got "nfs:/x")']);
    expect(issues({ type: 'gcs', bucket: 'x' }, objectSchema)).not.toEqual([]);
  });

  it('marks the file store directory as a path the config loader resolves', () => {
    const pathKeys = Object.fromEntries(blobStoreKinds.map((kind) => [kind.type, 'pathKeys' in kind ? kind.pathKeys : []]));
    expect(pathKeys).toEqual({ memory: [], file: ['directory'], s3: [] });
  });

  it('builds memory, file and s3 stores from config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aiops-blob-registry-'));
    try {
      expect((await createBlobStore({ type: 'memory' })).description).toBe('memory');
      const file = await createBlobStore(schema.parse(`file:${dir}`));
      expect(file.description).toBe(`file ${dir}`);
      await file.put('k', new Uint8Array([1, 2, 3]));
      expect(await file.get('k')).toEqual(new Uint8Array([1, 2, 3]));
      // No request is sent: the client is made, then closed.
      const s3 = await createBlobStore(schema.parse({ type: 's3', bucket: 'models', prefix: 'aiops', region: 'eu-west-1' }));
      expect(s3.description).toBe('s3://models/aiops');
      await s3.close?.();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('uses an adapter from the context instead of a type’s own builder', async () => {
    const seen: BlobStoreConfig[] = [];
    const fake = createMemoryBlobStore();
    const store = await createBlobStore(
      { type: 's3', bucket: 'models' },
      {
        adapters: {
          s3: (config) => {
            seen.push(config);
            return fake;
          },
        },
      },
    );
    expect(store).toBe(fake);
    expect(seen).toEqual([{ type: 's3', bucket: 'models' }]);
  });

  it('does not import the AWS SDK unless a config asks for s3 (no static import of it)', async () => {
    const source = await readFile(new URL('../../../lib/model/blob-store-registry.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/^import[^;]*(@aws-sdk|s3-blob-store)/m);
    expect(source).toContain("await import('./s3-blob-store.js')");
  });
});
