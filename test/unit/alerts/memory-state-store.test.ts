import { createMemoryStateStore } from '../../../lib/alerts/memory-state-store.js';
import { describeStateStoreContract } from './state-store-contract.js';

describeStateStoreContract('memory', () =>
  Promise.resolve({ store: createMemoryStateStore(), cleanup: () => Promise.resolve() }),
);
