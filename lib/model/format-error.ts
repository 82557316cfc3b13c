import { AiopsError } from '../errors.js';

/**
 * Detector state that cannot be used: unreadable bytes, another format version, or state of
 * other settings. Never fatal: the run rebuilds the state from a window read and says so.
 */
export class StateFormatError extends AiopsError {
  override name = 'StateFormatError';
}
