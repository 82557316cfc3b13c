/**
 * Text formatting shared by the sinks: numbers, labels, times, and the one-line summary a
 * notification carries from the moment it is queued. No I/O.
 */
import { seriesKey } from '../series/index.js';
import type { Notification, NotificationFacts } from './sink.js';

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


/**
 * The one-line summary of a notification, as people read it in Alertmanager's `summary`
 * annotation, the webhook payload and the Teams card: `Anomaly: latency {job="api"}: score
 * 0.81 >= threshold 0.62, value 9.5`, `Still anomalous: …`, `Resolved: … is back to normal`.
 */
export function notificationSummary(n: NotificationFacts): string {
  const series = seriesKey(n.labels);
  if (n.kind === 'resolved') return `Resolved: ${n.detector} ${series} is back to normal`;
  const prefix = n.kind === 'repeat' ? 'Still anomalous' : 'Anomaly';
  return `${prefix}: ${n.detector} ${series}: score ${formatNumber(n.score)} >= threshold ${formatNumber(n.threshold)}, value ${formatNumber(n.value)}`;
}

/** A notification as it is queued: its facts and its {@link notificationSummary}. */
export function withSummary(n: NotificationFacts): Notification {
  const { endsAtMs, generatorUrl, ...facts } = n;
  // Keys in the order stored states and the console sink's JSON lines have always had.
  return {
    ...facts,
    summary: notificationSummary(n),
    ...(endsAtMs !== undefined ? { endsAtMs } : {}),
    ...(generatorUrl !== undefined ? { generatorUrl } : {}),
  };
}
