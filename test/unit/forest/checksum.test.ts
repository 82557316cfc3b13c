import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checksum32 } from '../../../lib/forest/index.js';

fc.configureGlobal({ seed: 20240214 });

describe('checksum32', () => {
  it('changes whenever one word changes, at any position of any length (each lane step is a bijection)', () => {
    const words = fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 40 });
    const change = fc.integer({ min: 1, max: 2 ** 32 - 1 });
    fc.assert(
      fc.property(words, fc.nat(), change, (values, at, flips) => {
        const sound = Int32Array.from(values);
        const damaged = sound.slice();
        const index = at % sound.length;
        damaged[index] = damaged[index]! ^ flips;
        expect(checksum32(damaged)).not.toBe(checksum32(sound));
      }),
      { numRuns: 2000 },
    );
  });

  it('depends on the length (a zero word appended or dropped) and on the order of words', () => {
    const words = Int32Array.of(1, 2, 3, 4, 5, 6, 7);
    expect(checksum32(Int32Array.of(...words, 0))).not.toBe(checksum32(words));
    expect(checksum32(words.subarray(0, 6))).not.toBe(checksum32(words));
    expect(checksum32(Int32Array.of(2, 1, 3, 4, 5, 6, 7))).not.toBe(checksum32(words));
    expect(checksum32(Int32Array.of(1, 2, 3, 4, 6, 5, 7))).not.toBe(checksum32(words));
  });

  it('is an unsigned 32-bit integer, the same for the same words', () => {
    const sum = checksum32(Int32Array.of(-1, 0, 2 ** 31 - 1));
    expect(Number.isInteger(sum) && sum >= 0 && sum < 2 ** 32).toBe(true);
    expect(checksum32(Int32Array.of(-1, 0, 2 ** 31 - 1))).toBe(sum);
  });
});
