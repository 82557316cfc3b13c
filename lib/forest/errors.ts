import { InputError } from '../errors.js';

/** Input the forest cannot use (an empty, ragged or non-finite matrix, a bad option). Says what and where. */
export class ForestInputError extends InputError {
  override name = 'ForestInputError';
}
