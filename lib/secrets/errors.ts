import { AiopsError } from '../errors.js';

/**
 * A secret that cannot be read: missing env var, unreadable file, empty value, no provider.
 * The message names where the secret was looked for (env var name, file path, secret id),
 * never its value.
 */
export class SecretError extends AiopsError {
  override name = 'SecretError';
}
