/**
 * Secrets from files: a Kubernetes Secret mounted as a volume, a Docker secret, a file
 * written by a CI step. Editors and `echo` add a trailing newline, which would end up in a
 * URL's path, so trailing line breaks are trimmed (nothing else: spaces can be meaningful).
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import { SecretError } from './errors.js';
import type { SecretProvider } from './secret-provider.js';

export interface FileSecretOptions {
  path: string;
}

export interface FileSecretDeps {
  readFile?: (path: string) => Promise<string>;
}

/** A provider reading one file, read on every `get()` so a rotated Secret is picked up. */
export function createFileSecretProvider(options: FileSecretOptions, deps: FileSecretDeps = {}): SecretProvider {
  const readFile = deps.readFile ?? ((path: string) => fsReadFile(path, 'utf8'));
  const description = `file ${options.path}`;
  return {
    description,
    get: async () => {
      let text: string;
      try {
        text = await readFile(options.path);
      } catch (error) {
        // The fs message names the path and the code (ENOENT, EACCES), never the content.
        throw new SecretError(`Secret ${description} cannot be read: ${errorMessage(error)}`, { cause: error });
      }
      const value = text.replace(/(\r?\n)+$/, '');
      if (value.trim() === '') throw new SecretError(`Secret ${description} is empty`);
      return value;
    },
  };
}
