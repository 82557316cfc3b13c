/**
 * The contract every BlobStore adapter passes (memory, file, s3). Call it from the adapter's
 * own test file:
 *
 *   describeBlobStoreContract('file', async () => ({ store, cleanup }));
 *
 * `makeStore` gives a fresh, empty store per test; `cleanup` stops servers, removes files.
 * Nothing here knows the adapter: only the BlobStore port is used.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../../lib/model/blob-store.js';
import { BlobKeyError, BlobStoreError } from '../../../lib/model/errors.js';
import { rejection } from '../../support/rejection.js';

export interface BlobStoreFixture {
  store: BlobStore;
  cleanup: () => Promise<void>;
}

/** Every byte value, a few times over, with a length that is no power of two. */
export function everyByte(repeats = 3, extra = 7): Uint8Array {
  const bytes = new Uint8Array(256 * repeats + extra);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 167 + 13) % 256;
  return bytes;
}

/** Keys in ascending byte order, each punctuation mark on either side of '/'. */
export const orderedKeys = ['a-b', 'a.b', 'a/b', 'a/c/d', 'a/c_d', 'a0', 'aB', 'a_b', 'ab', 'b'];

/** Keys every adapter must refuse, and why. */
export const invalidKeys: Record<string, string> = {
  '': 'empty',
  '/a': 'leading slash',
  'a/': 'trailing slash',
  'a//b': 'empty segment',
  '..': 'parent segment',
  'a/../b': 'parent segment inside',
  '.': 'current segment',
  'a/./b': 'current segment inside',
  'a b': 'space',
  'a\\b': 'backslash',
  'a:b': 'colon',
  'série': 'non-ASCII letter',
  'a\nb': 'newline',
  [`${'x'.repeat(256)}`]: 'segment over 255',
  [`${'abcd/'.repeat(205)}x`]: 'key over 1024',
};

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

/** Registers the shared BlobStore tests for one adapter. */
export function describeBlobStoreContract(name: string, makeStore: () => Promise<BlobStoreFixture>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let fixture: BlobStoreFixture;
    let store: BlobStore;

    beforeEach(async () => {
      fixture = await makeStore();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.store.close?.();
      await fixture.cleanup();
    });

    it('has a description for logs', () => {
      expect(store.description.length).toBeGreaterThan(0);
    });

    it('gets undefined for a key never stored, and lists nothing when empty', async () => {
      expect(await store.get('model/never-stored')).toBeUndefined();
      expect(await store.get('never-stored')).toBeUndefined();
      expect(await store.list('')).toEqual([]);
      expect(await store.list('model/')).toEqual([]);
    });

    it('round-trips every byte value exactly, as a Uint8Array', async () => {
      const body = everyByte();
      await store.put('model/latency/0f3a.bin', body);
      const back = await store.get('model/latency/0f3a.bin');
      expect(back).toBeInstanceOf(Uint8Array);
      expect(back?.byteLength).toBe(body.byteLength);
      expect(Buffer.from(back!).equals(Buffer.from(body))).toBe(true);
    });

    it('round-trips an empty body (present, not undefined)', async () => {
      await store.put('empty', new Uint8Array(0));
      const back = await store.get('empty');
      expect(back).toBeInstanceOf(Uint8Array);
      expect(back?.byteLength).toBe(0);
      expect(await store.list('')).toEqual(['empty']);
    });

    it('keeps what it stored when the caller changes its arrays afterwards', async () => {
      const body = text('original');
      await store.put('k', body);
      body.fill(0);
      const first = await store.get('k');
      first!.fill(0);
      expect(new TextDecoder().decode(await store.get('k'))).toBe('original');
    });

    it('overwrites: the newest put wins, and the key is listed once', async () => {
      await store.put('series/a', text('first, and longer than the second'));
      await store.put('series/a', text('second'));
      expect(new TextDecoder().decode(await store.get('series/a'))).toBe('second');
      expect(await store.list('series/')).toEqual(['series/a']);
    });

    it('deletes, and deleting an absent key is no error (twice, or never stored)', async () => {
      await store.put('series/a', text('a'));
      await store.put('series/b', text('b'));
      await store.delete('series/a');
      expect(await store.get('series/a')).toBeUndefined();
      expect(new TextDecoder().decode(await store.get('series/b'))).toBe('b');
      await expect(store.delete('series/a')).resolves.toBeUndefined();
      await expect(store.delete('never/stored/at-all')).resolves.toBeUndefined();
      expect(await store.list('')).toEqual(['series/b']);
      // Gone means absent: the key can be stored anew.
      await store.put('series/a', text('again'));
      expect(new TextDecoder().decode(await store.get('series/a'))).toBe('again');
    });

    it('lists every key in ascending byte order, whatever order they were written in', async () => {
      const shuffled = [...orderedKeys].reverse();
      [shuffled[2], shuffled[7]] = [shuffled[7]!, shuffled[2]!];
      for (const key of shuffled) await store.put(key, text(key));
      expect(await store.list('')).toEqual(orderedKeys);
    });

    it('lists by prefix: a folder, a partial segment, an exact key, nothing', async () => {
      for (const key of orderedKeys) await store.put(key, text(key));
      expect(await store.list('a/')).toEqual(['a/b', 'a/c/d', 'a/c_d']);
      expect(await store.list('a/c')).toEqual(['a/c/d', 'a/c_d']);
      expect(await store.list('a/c/')).toEqual(['a/c/d']);
      expect(await store.list('a')).toEqual(orderedKeys.filter((key) => key !== 'b'));
      expect(await store.list('a.')).toEqual(['a.b']);
      expect(await store.list('a/b')).toEqual(['a/b']);
      expect(await store.list('c')).toEqual([]);
      expect(await store.list('a/zz/')).toEqual([]);
    });

    it('takes segments that only look like . and .. (they are ordinary names)', async () => {
      for (const key of ['.hidden', '..x', 'a..b', 'x/...', '-', '_']) {
        await store.put(key, text(key));
        expect(new TextDecoder().decode(await store.get(key))).toBe(key);
      }
      expect(await store.list('')).toEqual(['-', '..x', '.hidden', '_', 'a..b', 'x/...']);
    });

    it('rejects invalid keys in get, put and delete with BlobKeyError naming the key', async () => {
      for (const [key, why] of Object.entries(invalidKeys)) {
        for (const call of [() => store.get(key), () => store.put(key, text('x')), () => store.delete(key)]) {
          const error = await rejection<BlobKeyError>(call());
          expect(error, why).toBeInstanceOf(BlobKeyError);
          expect(error, why).toBeInstanceOf(BlobStoreError);
          expect(error.key, why).toBe(key);
          expect(error.message, why).toContain(JSON.stringify(key));
        }
      }
      expect(await store.list('')).toEqual([]);
    });

    it('rejects list prefixes no valid key can start with', async () => {
      for (const prefix of ['/a', 'a//', '../', 'a/../', './', 'a b', 'a:']) {
        await expect(store.list(prefix), prefix).rejects.toThrow(BlobKeyError);
      }
    });

    it('changes nothing once the signal has aborted', async () => {
      await store.put('kept', text('old'));
      const signal = AbortSignal.abort(new Error('deadline'));
      await expect(store.put('kept', text('new'), { signal })).rejects.toThrow(/aborted/);
      await expect(store.put('new-key', text('new'), { signal })).rejects.toThrow(BlobStoreError);
      await expect(store.delete('kept', { signal })).rejects.toThrow(BlobStoreError);
      await expect(store.get('kept', { signal })).rejects.toThrow(BlobStoreError);
      await expect(store.list('', { signal })).rejects.toThrow(BlobStoreError);
      expect(new TextDecoder().decode(await store.get('kept'))).toBe('old');
      expect(await store.list('')).toEqual(['kept']);
    });

    it('leaves one whole body when many puts race on one key', async () => {
      // Each body is one byte value repeated, with its own length: a mix or a cut is visible.
      const bodies = Array.from({ length: 16 }, (_, i) => new Uint8Array(40_000 + i * 1_000).fill(i + 1));
      await Promise.all(bodies.map((body) => store.put('race/key', body)));
      const back = (await store.get('race/key'))!;
      const winner = back[0]! - 1;
      expect(bodies[winner]).toBeDefined();
      expect(back.byteLength).toBe(bodies[winner]!.byteLength);
      expect(back.every((byte) => byte === winner + 1)).toBe(true);
      expect(await store.list('race/')).toEqual(['race/key']);
    });
  });
}
