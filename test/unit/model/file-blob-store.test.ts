import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobStoreError } from '../../../lib/model/errors.js';
import { createFileBlobStore } from '../../../lib/model/file-blob-store.js';
import { rejection } from '../../support/rejection.js';
import { describeBlobStoreContract } from './blob-store-contract.js';

const run = promisify(execFile);
let root: string;
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aiops-file-blobs-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function freshDir(): string {
  counter += 1;
  return join(root, `case-${counter}`);
}

describeBlobStoreContract('file', () => {
  const dir = freshDir();
  return Promise.resolve({
    store: createFileBlobStore({ directory: join(dir, 'not', 'made', 'yet') }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  });
});

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

describe('file BlobStore', () => {
  it('keeps a key as a file at the same path under the directory', async () => {
    const directory = freshDir();
    const store = createFileBlobStore({ directory });
    await store.put('model/latency/0f3a', text('bytes'));
    expect(await readdir(join(directory, 'model', 'latency'))).toEqual(['0f3a']);
    expect(store.description).toBe(`file ${directory}`);
  });

  it('does not list temp files, names that are no key, or folders themselves', async () => {
    const directory = freshDir();
    const store = createFileBlobStore({ directory });
    await store.put('model/a', text('a'));
    await writeFile(join(directory, 'model', '~4242.dead.1.tmp'), 'left by a crashed writer');
    await writeFile(join(directory, 'model', 'has space'), 'not ours');
    await mkdir(join(directory, 'model', 'empty'), { recursive: true });
    expect(await store.list('')).toEqual(['model/a']);
    expect(await store.list('model/')).toEqual(['model/a']);
  });

  it('reports a key that is a folder (EISDIR) with its path, for get and put', async () => {
    const directory = freshDir();
    const store = createFileBlobStore({ directory });
    await store.put('a/b', text('b'));
    const path = join(directory, 'a');
    await expect(store.get('a')).rejects.toThrow(BlobStoreError);
    await expect(store.get('a')).rejects.toThrow(`(${path}): EISDIR`);
    await expect(store.put('a', text('a'))).rejects.toThrow(`cannot put key "a" (${path})`);
    await expect(store.put('a', text('a'))).rejects.toThrow('it is the folder of other keys');
    expect(await store.list('')).toEqual(['a/b']);
    expect(await readdir(path)).toEqual(['b']); // no temp file left
  });

  it('reports a key below a file (ENOTDIR) on put, and finds nothing there on get and delete', async () => {
    const directory = freshDir();
    const store = createFileBlobStore({ directory });
    await store.put('a', text('a'));
    const error = await rejection(store.put('a/b', text('b')));
    expect(error).toBeInstanceOf(BlobStoreError);
    expect(error.message).toContain(`cannot put key "a/b" (${join(directory, 'a', 'b')}): `);
    expect(error.message).toContain('a key above it is a file');
    expect(error.message).not.toContain('left behind');
    expect(await store.get('a/b')).toBeUndefined();
    await expect(store.delete('a/b')).resolves.toBeUndefined();
    expect(new TextDecoder().decode(await store.get('a'))).toBe('a');
  });

  it('sees the other instance of the same folder at once (no cache)', async () => {
    const directory = freshDir();
    const writer = createFileBlobStore({ directory });
    const reader = createFileBlobStore({ directory });
    await writer.put('k', text('one'));
    expect(new TextDecoder().decode(await reader.get('k'))).toBe('one');
    await writer.put('k', text('two'));
    expect(new TextDecoder().decode(await reader.get('k'))).toBe('two');
  });

  it('two processes writing one key while this one reads: every read and the end are one whole body', async () => {
    const directory = freshDir();
    const store = createFileBlobStore({ directory });
    const script = join(root, `writer-${counter}.mts`);
    const moduleUrl = new URL('../../../lib/model/file-blob-store.ts', import.meta.url).href;
    // Writer `id` puts bodies of byte `id`, each with its own length, so a mix or a cut shows.
    await writeFile(
      script,
      `import { createFileBlobStore } from ${JSON.stringify(moduleUrl)};
const [directory, id] = process.argv.slice(2);
const store = createFileBlobStore({ directory });
for (let i = 0; i < 40; i++) {
  await store.put('race/key', new Uint8Array(300_000 + Number(id) * 7_000 + i).fill(Number(id)));
}
`,
    );
    let running = 2;
    const writers = [1, 2].map((id) =>
      run(process.execPath, ['--import', 'tsx', script, directory, String(id)]).finally(() => {
        running -= 1;
      }),
    );
    const isWhole = (body: Uint8Array): boolean => {
      const id = body[0]!;
      const offset = body.byteLength - 300_000 - id * 7_000;
      return (id === 1 || id === 2) && offset >= 0 && offset < 40 && body.every((byte) => byte === id);
    };
    let reads = 0;
    while (running > 0) {
      const body = await store.get('race/key');
      if (body === undefined) continue; // before the first rename
      reads += 1;
      expect(isWhole(body)).toBe(true);
    }
    await Promise.all(writers);
    const last = (await store.get('race/key'))!;
    expect(isWhole(last)).toBe(true);
    expect(reads).toBeGreaterThan(0);
    expect(await store.list('')).toEqual(['race/key']);
    expect(await readdir(join(directory, 'race'))).toEqual(['key']); // no temp file left
  }, 60_000);
});
