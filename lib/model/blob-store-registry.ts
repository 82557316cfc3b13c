/**
 * The blob-store registry: every type of the deployment's model store in one list. An entry
 * gives the keys the store takes (a zod shape: the config schema is built from these), its
 * shorthand (`memory`, `file:PATH`, `s3:BUCKET[/PREFIX]`, as a `MODEL_STORE`-style variable or a
 * YAML string would hold it), which keys are file paths (resolved against the config file's
 * folder), and how to build it.
 *
 * memory and file are built here. s3 is imported only when a config asks for it, so a CLI run
 * with a file store never loads the AWS SDK.
 *
 * Adding a store: its adapter file beside this one, plus one entry below.
 */
import * as z from 'zod';
import { boolean, httpUrl, nonEmpty, oneOf } from '../config/fields.js';
import { blobKeyProblem, type BlobStore } from './blob-store.js';
import { createFileBlobStore } from './file-blob-store.js';
import { createMemoryBlobStore } from './memory-blob-store.js';

/** The parsed config of one store type: its `type` and its keys. */
type KindConfig<Type extends string, Shape extends z.ZodRawShape> = z.output<z.ZodObject<{ type: z.ZodLiteral<Type> } & Shape, z.core.$strict>>;
/** What the schema of one store type takes, before its defaults and checks. */
type KindInput<Type extends string, Shape extends z.ZodRawShape> = z.input<z.ZodObject<{ type: z.ZodLiteral<Type> } & Shape, z.core.$strict>>;

interface BlobStoreKind<Type extends string, Shape extends z.ZodRawShape> {
  type: Type;
  shape: Shape;
  /**
   * The shorthand after `type:` (`file:PATH`) as this kind's keys; the form is for messages.
   * Absent, the bare type is the shorthand (`memory`), which needs a shape without required keys.
   */
  shorthand?: { form: string; keys(value: string): Record<string, string> };
  /** Keys holding file paths, resolved against the config file's folder. */
  pathKeys?: readonly (keyof Shape & string)[];
  create(config: KindConfig<Type, Shape>): BlobStore | Promise<BlobStore>;
}

function blobStoreKind<Type extends string, Shape extends z.ZodRawShape>(kind: BlobStoreKind<Type, Shape>): BlobStoreKind<Type, Shape> {
  return kind;
}

const bucketMessage = 'must be an S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens';
const bucketName = z
  .string({ error: bucketMessage })
  .trim()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: bucketMessage });

/** Where in the bucket the keys live: a key-like path (`aiops/prod`); a trailing '/' is optional. */
const s3Prefix = z.string({ error: 'must be a string' }).transform((value, ctx) => {
  const bare = value.replace(/\/$/, '');
  const problem = bare === '' ? undefined : blobKeyProblem(bare);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: `must be a path of [A-Za-z0-9._-] segments joined by '/': ${JSON.stringify(value)} ${problem}` });
    return z.NEVER;
  }
  return value;
});

const s3Shape = {
  bucket: bucketName,
  prefix: s3Prefix.optional(),
  /** Region of the bucket; the SDK's default chain (AWS_REGION) when absent. */
  region: nonEmpty.optional(),
  /** An S3-compatible server (MinIO): `http://minio.storage:9000`. */
  endpoint: httpUrl.optional(),
  /** Path-style URLs, as MinIO needs. */
  forcePathStyle: boolean.optional(),
};

/** Every blob store type, in the order error messages list them. */
export const blobStoreKinds = [
  blobStoreKind({ type: 'memory', shape: {}, create: () => createMemoryBlobStore() }),
  blobStoreKind({
    type: 'file',
    shape: { directory: nonEmpty },
    shorthand: { form: 'file:PATH', keys: (value) => ({ directory: value }) },
    pathKeys: ['directory'],
    create: (config) => createFileBlobStore({ directory: config.directory }),
  }),
  blobStoreKind({
    type: 's3',
    shape: s3Shape,
    shorthand: {
      form: 's3:BUCKET[/PREFIX]',
      keys: (value): Record<string, string> => {
        const slash = value.indexOf('/');
        if (slash < 0 || slash === value.length - 1) return { bucket: value.replace(/\/$/, '') };
        return { bucket: value.slice(0, slash), prefix: value.slice(slash + 1) };
      },
    },
    create: async ({ type: _type, ...options }) => {
      const { createS3BlobStore } = await import('./s3-blob-store.js');
      return createS3BlobStore(options);
    },
  }),
] as const;

type Kinds = typeof blobStoreKinds;
type ConfigOf<K> = K extends BlobStoreKind<infer Type, infer Shape> ? KindConfig<Type, Shape> : never;
type InputOf<K> = K extends BlobStoreKind<infer Type, infer Shape> ? KindInput<Type, Shape> : never;

/** A parsed model store config. */
export type BlobStoreConfig = ConfigOf<Kinds[number]>;
/** A model store config as written, before the schema checks it. */
export type BlobStoreConfigInput = InputOf<Kinds[number]>;

/** The shorthand forms, for messages: `memory, file:PATH, s3:BUCKET[/PREFIX]`. */
export const blobStoreForms: readonly string[] = blobStoreKinds.map((kind) => kind.shorthand?.form ?? kind.type);

/**
 * A shorthand string as the object the config schema then checks (`s3:models/aiops` ->
 * `{ type: 's3', bucket: 'models', prefix: 'aiops' }`); undefined when it is no shorthand.
 */
export function blobStoreShorthand(text: string): BlobStoreConfigInput | undefined {
  const trimmed = text.trim();
  for (const kind of blobStoreKinds) {
    const shorthand: BlobStoreKind<string, z.ZodRawShape>['shorthand'] = kind.shorthand;
    if (shorthand === undefined) {
      if (trimmed === kind.type) return { type: kind.type } as BlobStoreConfigInput;
      continue;
    }
    const prefix = `${kind.type}:`;
    if (trimmed.startsWith(prefix) && trimmed.length > prefix.length) {
      // Unchecked here: the schema checks the keys (a bucket name, a prefix) and says what is wrong.
      return { type: kind.type, ...shorthand.keys(trimmed.slice(prefix.length)) } as BlobStoreConfigInput;
    }
  }
  return undefined;
}

/** The message for a string that is no shorthand. */
export function blobStoreShorthandMessage(text: string): string {
  return `must be ${oneOf(blobStoreForms)} (got ${JSON.stringify(text)})`;
}

/** Builders used instead of a type's own: tests point s3 at s3rver; an entry point can share its client. */
export type BlobStoreAdapters = { [K in Kinds[number] as K['type']]?: (config: ConfigOf<K>) => BlobStore | Promise<BlobStore> };

export interface BlobStoreContext {
  adapters?: BlobStoreAdapters;
}

/** The store for a parsed config (s3 loads the AWS SDK on first use, hence a promise). */
export async function createBlobStore(config: BlobStoreConfig, context: BlobStoreContext = {}): Promise<BlobStore> {
  const adapter = context.adapters?.[config.type] as ((config: BlobStoreConfig) => BlobStore | Promise<BlobStore>) | undefined;
  if (adapter) return adapter(config);
  const kind = blobStoreKinds.find((k) => k.type === config.type) as BlobStoreKind<string, z.ZodRawShape>;
  // The schema built `config` from this entry's shape.
  return kind.create(config);
}
