/**
 * Text formatting shared by the sinks: numbers, labels, times, and the one-line summary a
 * notification carries from the moment it is queued. No I/O.
 */
import { seriesKey } from '../series/index.js';
import { isQueryNotification, type Notification, type NotificationFacts } from './sink.js';

/** Cuts `text` to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** ISO-8601 of a Unix ms time. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

const kindTitles: Record<Notification['kind'], string> = {
  firing: 'FIRING',
  repeat: 'STILL FIRING',
  resolved: 'RESOLVED',
  absent: 'NO DATA',
};

/** `FIRING` / `STILL FIRING` / `RESOLVED` / `NO DATA`, for humans. */
export function kindTitle(n: Pick<Notification, 'kind'>): string {
  return kindTitles[n.kind];
}

/**
 * Whether the alert a notification is about is still on (`firing`) or has ended (`resolved`):
 * firing and repeat are on, resolved has ended; `absent` ends a series' alert (it carries
 * `endsAtMs`) and starts the query's no-data alert (it does not).
 */
export function alertStatus(n: Pick<NotificationFacts, 'kind' | 'endsAtMs'>): 'firing' | 'resolved' {
  return n.kind === 'resolved' || n.endsAtMs !== undefined ? 'resolved' : 'firing';
}

/** `2 firing, 1 no data, 1 resolved`: a batch's headline (Slack header, Teams title). */
export function kindCounts(notifications: readonly Pick<Notification, 'kind'>[]): string {
  const count = (kinds: readonly Notification['kind'][]): number => notifications.filter((n) => kinds.includes(n.kind)).length;
  const parts: [number, string][] = [
    [count(['firing', 'repeat']), 'firing'],
    [count(['absent']), 'no data'],
    [count(['resolved']), 'resolved'],
  ];
  return parts
    .filter(([n]) => n > 0)
    .map(([n, word]) => `${n} ${word}`)
    .join(', ');
}

/** A number as people read it: up to 4 significant digits, no trailing zeros; `-` for none. */
export function formatNumber(value: number | null): string {
  if (value === null) return '-';
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return value.toPrecision(4).replace(/(\.\d*?)0+(e|$)/, '$1$2').replace(/\.(e|$)/, '$1');
}


/**
 * The one-line summary of a notification, as people read it in Alertmanager's `summary`
 * annotation, the webhook payload and the Teams card: `Anomaly: latency {job="api"}: score
 * 0.81 >= threshold 0.62, value 9.5`, `Still anomalous: …`, `Resolved: … is back to normal`,
 * `No data: … stopped reporting while firing …`, and for the query as a whole `No data:
 * latency: the query returned no series`.
 */
export function notificationSummary(n: NotificationFacts): string {
  if (isQueryNotification(n)) {
    if (n.kind === 'resolved') return `Resolved: ${n.detector}: the query returns series again`;
    const since = n.atMs > n.startsAtMs ? ` since ${iso(n.startsAtMs)}` : '';
    return `${since === '' ? 'No data' : 'Still no data'}: ${n.detector}: the query returned no series${since}`;
  }
  const series = seriesKey(n.labels);
  if (n.kind === 'resolved') return `Resolved: ${n.detector} ${series} is back to normal`;
  if (n.kind === 'absent') return `No data: ${n.detector} ${series} stopped reporting while firing; its alert ends without a verdict`;
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
