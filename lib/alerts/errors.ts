import { AiopsError } from '../errors.js';

/** A state store that cannot be read or written (I/O, corrupt file, lock timeout). */
export class StateStoreError extends AiopsError {
  override name = 'StateStoreError';
}
