/**
 * A 32-bit checksum of `words`, for the codecs (lib/forest/codec.ts, lib/detect/model-codec.ts)
 * to tell damaged bytes from sound ones. Four lanes, so it runs at about the speed of a copy;
 * every step is a bijection of its lane's state, so a change confined to one word is always
 * caught, and any other change all but always (one in 2^32 slips through). Not cryptographic.
 */
export function checksum32(words: Int32Array): number {
  const n = words.length;
  let h0 = 0x243f6a88 ^ n;
  let h1 = 0x85a308d3;
  let h2 = 0x13198a2e;
  let h3 = 0x03707344;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    h0 = step(h0, words[i]!);
    h1 = step(h1, words[i + 1]!);
    h2 = step(h2, words[i + 2]!);
    h3 = step(h3, words[i + 3]!);
  }
  if (i < n) h0 = step(h0, words[i]!);
  if (i + 1 < n) h1 = step(h1, words[i + 1]!);
  if (i + 2 < n) h2 = step(h2, words[i + 2]!);
  return finalise(finalise(finalise(h0 ^ h1) ^ h2) ^ h3);
}

function step(h: number, word: number): number {
  const m = Math.imul(h ^ word, 0x9e3779b1);
  return m ^ (m >>> 15);
}

/** murmur3's 32-bit finaliser: a bijection that spreads every input bit over the output. */
function finalise(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
