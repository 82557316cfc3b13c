/**
 * From the config's `stateStore` to a StateStore. memory and file are built here; dynamodb and
 * prometheus come from factories the entry point injects (so the CLI does not load the AWS SDK
 * unless it is used).
 */
import type { StateStoreConfig } from '../config/config.js';
import { InputError } from '../errors.js';
import { createFileStateStore } from './file-state-store.js';
import { createMemoryStateStore } from './memory-state-store.js';
import type { StateStore } from './state-store.js';

export interface StateStoreFactories {
  dynamodb?: (config: Extract<StateStoreConfig, { type: 'dynamodb' }>) => StateStore;
  prometheus?: (config: Extract<StateStoreConfig, { type: 'prometheus' }>) => StateStore;
}

/** The store for a config; InputError when its adapter was not provided. */
export function createStateStore(config: StateStoreConfig, factories: StateStoreFactories = {}): StateStore {
  switch (config.type) {
    case 'memory':
      return createMemoryStateStore();
    case 'file':
      return createFileStateStore({ path: config.path });
    case 'dynamodb':
      if (!factories.dynamodb) throw new InputError('State store dynamodb needs the DynamoDB adapter (the Lambda entry point wires it)');
      return factories.dynamodb(config);
    case 'prometheus':
      if (!factories.prometheus) throw new InputError('State store prometheus needs the Prometheus adapter (the Knative entry point wires it)');
      return factories.prometheus(config);
  }
}
