/**
 * A BlobStore in a folder: for the CLI, a Kubernetes CronJob with a volume, or a CI job. A key
 * is a path under the folder (`model/latency/0f3a` -> `<directory>/model/latency/0f3a`), and its
 * folders are made as needed.
 *
 * `put` writes a temp file in the key's own folder, fsyncs it and renames it over the key. A
 * rename within one file system is atomic on POSIX, so a reader (another process included) sees
 * the old file or the new one, never half of one, and two writers racing on one key leave one
 * of their files whole: the last rename wins. The temp name has a `~`, which no key has, so
 * `list` never shows a write in progress; one left by a crashed writer stays unlisted.
 * (write-file-atomic does the same, but its temp names are valid keys, and its 8.x needs Node 22.)
 *
 * A key cannot also be the folder of other keys here (`a` and `a/b`): such a put fails.
 * Empty folders are left when their last key is deleted; they cost a `readdir` in `list`.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errorMessage } from '../errors.js';
import { blobKeyProblem, checkBlobKey, checkBlobPrefix, checkNotAborted, type BlobStore } from './blob-store.js';
import { BlobStoreError } from './errors.js';

export interface FileBlobStoreOptions {
  /** The folder holding every key; made when missing. */
  directory: string;
}

/** A put that fails because keys clash with folders: say so beside the system's message. */
const clashes: Record<string, string> = {
  EEXIST: ' (a key above it is a file; a key cannot also be the folder of other keys)',
  ENOTDIR: ' (a key above it is a file; a key cannot also be the folder of other keys)',
  EISDIR: ' (it is the folder of other keys; a key cannot also be a folder)',
  ENOTEMPTY: ' (it is the folder of other keys; a key cannot also be a folder)',
};

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/** A store of one file per key under `options.directory`. */
export function createFileBlobStore(options: FileBlobStoreOptions): BlobStore {
  const { directory } = options;
  const description = `file ${directory}`;
  // Unique per store instance and write, so no two writers (processes or instances) share a temp file.
  const instanceId = randomUUID().slice(0, 8);
  let writeCounter = 0;

  const pathOf = (key: string): string => join(directory, ...key.split('/'));
  const fail = (operation: string, key: string, path: string, error: unknown): BlobStoreError =>
    new BlobStoreError(`Blob store ${description}: cannot ${operation} key "${key}" (${path}): ${errorMessage(error)}`, {
      cause: error,
    });

  async function write(key: string, body: Uint8Array, signal: AbortSignal | undefined): Promise<void> {
    const path = pathOf(key);
    writeCounter += 1;
    const tmp = join(dirname(path), `~${process.pid}.${instanceId}.${writeCounter}.tmp`);
    try {
      await mkdir(dirname(path), { recursive: true });
      const handle = await open(tmp, 'wx', 0o600);
      try {
        await handle.writeFile(body, signal ? { signal } : {});
        // Data on disk before the rename makes it visible: a crash leaves old or new, not empty.
        await handle.sync();
      } finally {
        await handle.close();
      }
      checkNotAborted(signal, description, `put ${key}`);
      await rename(tmp, path);
    } catch (error) {
      // Best effort: a temp file left behind is unlisted and harmless; the write's own error matters.
      const cleanup = await unlink(tmp).then(
        () => undefined,
        (cleanupError: unknown) => cleanupError,
      );
      if (error instanceof BlobStoreError) throw error;
      // ENOENT, ENOTDIR: the temp file was never made (mkdir or open failed).
      const nothingLeft = cleanup === undefined || codeOf(cleanup) === 'ENOENT' || codeOf(cleanup) === 'ENOTDIR';
      const leftover = nothingLeft ? '' : ` (temp file ${tmp} left behind)`;
      const reason = signal?.aborted ? 'aborted' : `${errorMessage(error)}${clashes[codeOf(error) ?? ''] ?? ''}`;
      throw new BlobStoreError(`Blob store ${description}: cannot put key "${key}" (${path}): ${reason}${leftover}`, {
        cause: error,
      });
    }
  }

  /**
   * Pushes the key of every file under `folder` (relative to `directory`, '' for itself) that
   * starts with `prefix`, going only into folders that can hold such keys.
   */
  async function walk(folder: string, prefix: string, keys: string[], signal: AbortSignal | undefined): Promise<void> {
    checkNotAborted(signal, description, `list ${prefix}`);
    const path = folder === '' ? directory : pathOf(folder);
    let entries;
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch (error) {
      // A folder that is not there (yet, or any more) holds no keys.
      if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return;
      throw new BlobStoreError(`Blob store ${description}: cannot list ${path}: ${errorMessage(error)}`, { cause: error });
    }
    for (const entry of entries) {
      const key = folder === '' ? entry.name : `${folder}/${entry.name}`;
      // Temp files and anything else whose name is no key are not keys (symlinks are not followed).
      if (blobKeyProblem(key) !== undefined) continue;
      if (entry.isDirectory()) {
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(key, prefix, keys, signal);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        keys.push(key);
      }
    }
  }

  return {
    description,

    async get(key, { signal } = {}) {
      checkNotAborted(signal, description, `get ${key}`);
      checkBlobKey(key, description);
      const path = pathOf(key);
      try {
        const bytes = await readFile(path, signal ? { signal } : {});
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      } catch (error) {
        // ENOTDIR: a part of the path is a file, so this key cannot exist either.
        if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return undefined;
        if (signal?.aborted) throw new BlobStoreError(`Blob store ${description}: get ${key} aborted`, { cause: error });
        throw fail('get', key, path, error);
      }
    },

    async put(key, body, { signal } = {}) {
      checkNotAborted(signal, description, `put ${key}`);
      checkBlobKey(key, description);
      await write(key, body, signal);
    },

    async delete(key, { signal } = {}) {
      checkNotAborted(signal, description, `delete ${key}`);
      checkBlobKey(key, description);
      const path = pathOf(key);
      try {
        await unlink(path);
      } catch (error) {
        if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return;
        throw fail('delete', key, path, error);
      }
    },

    async list(prefix, { signal } = {}) {
      checkNotAborted(signal, description, `list ${prefix}`);
      checkBlobPrefix(prefix, description);
      // Only the folder the prefix is inside can hold its keys: `a/b/c` starts in `a/b`.
      const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      const keys: string[] = [];
      await walk(folder, prefix, keys, signal);
      // Folder by folder is not byte order (`a/b` is walked before `a-b`, but comes after it).
      return keys.sort();
    },
  };
}
