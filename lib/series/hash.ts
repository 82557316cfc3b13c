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
