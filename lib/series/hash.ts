/**
 * 32-bit FNV-1a of a string's UTF-16 code units. Used to derive seeds (detector, series, window
 * end) and short ids; not for security.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * A 64-bit digest (16 hex digits) of the exact bits of some float arrays, in order: tells
 * whether a stored model was fitted on these very points. Two 32-bit multiply-xor lanes over the
 * arrays' 32-bit words; fast (a one-day window takes microseconds), not for security.
 */
export function float64Digest(arrays: readonly Float64Array[]): string {
  let a = 0x9e3779b9;
  let b = 0x85ebca6b;
  for (const array of arrays) {
    // A subarray of a Float64Array starts on an 8-byte boundary, so this view is always valid.
    const words = new Uint32Array(array.buffer, array.byteOffset, array.length * 2);
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      a = Math.imul(a ^ w, 0x01000193);
      b = Math.imul((b ^ w) + (b << 5), 0x5bd1e995);
    }
    a = Math.imul(a ^ array.length, 0x01000193);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
