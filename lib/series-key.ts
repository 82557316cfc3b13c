/**
 * Identity of a series across runs and stores. The key is Prometheus' own text form of a label
 * set with labels sorted, so it is readable in state files and stable across processes.
 */
import type { Labels } from './sources/source.js';

/** `{__name__="http_latency",job="api"}`: sorted by label name, values escaped as in PromQL. */
export function seriesKey(labels: Labels): string {
  const parts = Object.keys(labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name])}`);
  return `{${parts.join(',')}}`;
}

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
