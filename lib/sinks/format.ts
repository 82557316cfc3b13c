/**
 * Text formatting shared by the sinks and the lifecycle's summaries: numbers, labels, times.
 * No I/O, so the pure lifecycle can use it too.
 */
import type { Notification } from './sink.js';

/** Cuts `text` to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** ISO-8601 of a Unix ms time. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** `FIRING` / `REPEAT` / `RESOLVED`, for humans. */
export function kindTitle(n: Notification): string {
  return n.kind === 'resolved' ? 'RESOLVED' : n.kind === 'repeat' ? 'STILL FIRING' : 'FIRING';
}

/** A number as people read it: up to 4 significant digits, no trailing zeros. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return value.toPrecision(4).replace(/(\.\d*?)0+(e|$)/, '$1$2').replace(/\.(e|$)/, '$1');
}

