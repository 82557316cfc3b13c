import { AiopsError, InputError } from '../errors.js';

/** Input the forest cannot use (an empty, ragged or non-finite matrix, a bad option). Says what and where. */
export class ForestInputError extends InputError {
  override name = 'ForestInputError';
}

/**
 * Bytes that do not read back as a forest (lib/forest/codec.ts): truncated, another format or
 * version, or damaged. Says what was wrong; the caller refits instead of scoring with garbage.
 */
export class ForestDecodeError extends AiopsError {
  override name = 'ForestDecodeError';
}
