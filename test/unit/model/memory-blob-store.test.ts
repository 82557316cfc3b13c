import { createMemoryBlobStore } from '../../../lib/model/memory-blob-store.js';
import { describeBlobStoreContract } from './blob-store-contract.js';

describeBlobStoreContract('memory', () => Promise.resolve({ store: createMemoryBlobStore(), cleanup: () => Promise.resolve() }));
