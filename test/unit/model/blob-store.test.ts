import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blobKeyProblem, blobPrefixProblem, checkBlobKey, checkBlobPrefix, checkNotAborted } from '../../../lib/model/blob-store.js';
import { BlobKeyError, BlobStoreError } from '../../../lib/model/errors.js';
import { invalidKeys } from './blob-store-contract.js';

const segmentChars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-';
const segment = fc
  .string({ unit: fc.constantFrom(...segmentChars), minLength: 1, maxLength: 12 })
  .filter((s) => s !== '.' && s !== '..');
const validKey = fc.array(segment, { minLength: 1, maxLength: 6 }).map((segments) => segments.join('/'));

describe('blob keys', () => {
  it('accepts every path of [A-Za-z0-9._-] segments other than . and ..', () => {
    fc.assert(fc.property(validKey, (key) => blobKeyProblem(key) === undefined));
  });

  it('accepts every start of a valid key as a list prefix', () => {
    fc.assert(
      fc.property(validKey, fc.nat(), (key, cut) => blobPrefixProblem(key.slice(0, cut % (key.length + 1))) === undefined),
    );
  });

  it('rejects a valid key with any other character put in', () => {
    const other = fc.string({ minLength: 1, maxLength: 1 }).filter((c) => !segmentChars.includes(c) && c !== '/');
    fc.assert(
      fc.property(validKey, other, fc.nat(), (key, char, at) => {
        const i = at % (key.length + 1);
        return blobKeyProblem(`${key.slice(0, i)}${char}${key.slice(i)}`) !== undefined;
      }),
    );
  });

  it('says what is wrong with each invalid key', () => {
    for (const [key, why] of Object.entries(invalidKeys)) expect(blobKeyProblem(key), why).toBeDefined();
    expect(blobKeyProblem('a//b')).toMatch(/empty segment/);
    expect(blobKeyProblem('a/../b')).toMatch(/"\.\." segment/);
    expect(blobKeyProblem('a b')).toMatch(/\[A-Za-z0-9\._-\]/);
  });

  it('throws BlobKeyError naming the store and the key', () => {
    expect(() => checkBlobKey('a/../b', 'file /data')).toThrow('Blob store file /data: key "a/../b" has a ".." segment');
    expect(() => checkBlobPrefix('/a', 'memory')).toThrow(BlobKeyError);
    expect(() => checkBlobPrefix('', 'memory')).not.toThrow();
    expect(() => checkBlobPrefix('a/', 'memory')).not.toThrow();
  });

  it('turns an aborted signal into BlobStoreError with the reason as cause', () => {
    const reason = new Error('deadline');
    const error = (() => {
      try {
        checkNotAborted(AbortSignal.abort(reason), 'memory', 'get k');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(BlobStoreError);
    expect((error as Error).message).toBe('Blob store memory: get k aborted');
    expect((error as Error).cause).toBe(reason);
    expect(() => checkNotAborted(new AbortController().signal, 'memory', 'get k')).not.toThrow();
  });
});
