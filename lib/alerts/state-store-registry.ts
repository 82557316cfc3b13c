/**
 * The state-store registry: every `alerts.stateStore` type in one list. An entry gives the keys
 * the store takes (a zod shape: the config schema is built from these), its `STATE_STORE`
 * shorthand (`memory`, `file:PATH`), which keys are file paths (resolved against the config
 * file's folder), and how to build it.
 *
 * memory and file are built here. dynamodb and prometheus pull in clients the entry points own
 * (the AWS SDK, the remote writer), so those come in as adapters and the CLI does not load the
 * AWS SDK unless the config asks for it.
 *
 * Adding a store: its adapter file beside this one, plus one entry below.
 */
import type * as z from 'zod';
import { duration, integer, nonEmpty } from '../config/fields.js';
import { InputError } from '../errors.js';
import { createFileStateStore } from './file-state-store.js';
import { createMemoryStateStore } from './memory-state-store.js';
import type { StateStore } from './state-store.js';

/** Days a DynamoDB state item lives after its last write. */
export const dynamodbTtlDays = 30;

/** The parsed config of one store type: its `type` and its keys. */
type KindConfig<Type extends string, Shape extends z.ZodRawShape> = z.output<z.ZodObject<{ type: z.ZodLiteral<Type> } & Shape, z.core.$strict>>;

interface StateStoreKind<Type extends string, Shape extends z.ZodRawShape> {
  type: Type;
  shape: Shape;
  /**
   * `STATE_STORE` / YAML shorthand: `type:VALUE` sets this key (`file:PATH`); absent, the bare
   * type is the shorthand (`memory`), which needs a shape without required keys.
   */
  shorthandKey?: keyof Shape & string;
  /** Keys holding file paths, resolved against the config file's folder. */
  pathKeys?: readonly (keyof Shape & string)[];
  create(config: KindConfig<Type, Shape>, adapters: StateStoreAdapters): StateStore;
}

function stateStoreKind<Type extends string, Shape extends z.ZodRawShape>(
  kind: StateStoreKind<Type, Shape>,
): StateStoreKind<Type, Shape> {
  return kind;
}

const dynamodbShape = { table: nonEmpty, region: nonEmpty.optional(), ttlDays: integer(1).default(dynamodbTtlDays) };
/** `lookbackMinutes`: how far back a state is still found (default 1440, the store's). */
const prometheusShape = { lookbackMinutes: duration('min').optional() };

/** Builders for the stores whose clients the entry point owns. */
export interface StateStoreAdapters {
  dynamodb?: (config: KindConfig<'dynamodb', typeof dynamodbShape>) => StateStore;
  prometheus?: (config: KindConfig<'prometheus', typeof prometheusShape>) => StateStore;
}

/** Every state store type, in the order error messages list them. */
export const stateStoreKinds = [
  stateStoreKind({ type: 'memory', shape: {}, create: () => createMemoryStateStore() }),
  stateStoreKind({
    type: 'file',
    shape: { path: nonEmpty },
    shorthandKey: 'path',
    pathKeys: ['path'],
    create: (config) => createFileStateStore({ path: config.path }),
  }),
  stateStoreKind({
    type: 'dynamodb',
    shape: dynamodbShape,
    shorthandKey: 'table',
    create: (config, adapters) => {
      if (!adapters.dynamodb) throw new InputError('State store dynamodb needs the DynamoDB adapter (the Lambda entry point wires it)');
      return adapters.dynamodb(config);
    },
  }),
  stateStoreKind({
    type: 'prometheus',
    shape: prometheusShape,
    create: (config, adapters) => {
      if (!adapters.prometheus) throw new InputError('State store prometheus needs the Prometheus adapter (the Knative entry point wires it)');
      return adapters.prometheus(config);
    },
  }),
] as const;

type Kinds = typeof stateStoreKinds;
type ConfigOf<K> = K extends StateStoreKind<infer Type, infer Shape> ? KindConfig<Type, Shape> : never;

/** A parsed `alerts.stateStore`. */
export type StateStoreConfig = ConfigOf<Kinds[number]>;

/** The store for a config; InputError when it needs an adapter that was not provided. */
export function createStateStore(config: StateStoreConfig, adapters: StateStoreAdapters = {}): StateStore {
  const kind = stateStoreKinds.find((k) => k.type === config.type) as StateStoreKind<string, z.ZodRawShape>;
  // The schema built `config` from this entry's shape.
  return kind.create(config, adapters);
}
