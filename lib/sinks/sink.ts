/**
 * The AlertSink port: where notifications go. Adapters: slack, teams, alertmanager, webhook
 * (generic JSON), console. Each is made by `createX(options, deps)` and passes the shared
 * contract test in test/unit/sinks/sink-contract.ts (retry, timeout, no secret in logs).
 */
import type { Labels } from '../series/index.js';

/**
 * `absent` is "no data" (detectors with `notifyAbsent`): a firing series that stopped reporting
 * (its alert ends, `endsAtMs` set), or the detector's query as a whole returning no series after
 * it returned some (a detector-level alert, series key {@link querySeriesKey}, no `endsAtMs`
 * while it lasts; its `resolved` comes when series are back).
 */
export type NotificationKind = 'firing' | 'repeat' | 'resolved' | 'absent';
export type Severity = 'info' | 'warning' | 'critical';

/**
 * The series key of a detector's query as a whole: its no-data alert's state and notifications.
 * A label set's key always starts with `{`, so no series can have this one.
 */
export const querySeriesKey = '(query)';

/** True for a notification about the detector's query as a whole (no series, no verdict). */
export function isQueryNotification(n: Pick<NotificationFacts, 'seriesKey'>): boolean {
  return n.seriesKey === querySeriesKey;
}

/**
 * One thing to tell people about one series of one detector, as the alert lifecycle decides it:
 * facts only, no text for people (lib/alerts/lifecycle.ts makes these).
 */
export interface NotificationFacts {
  /** Stable across retries: `${detector}|${seriesKey}|${kind}|${atMs}`; receivers may dedupe on it. */
  id: string;
  kind: NotificationKind;
  detector: string;
  /** Fingerprint of the series labels (lib/series), or {@link querySeriesKey} for the query as a whole. */
  seriesKey: string;
  labels: Labels;
  severity: Severity;
  /** Extra labels configured on the detector. */
  extraLabels: Labels;
  query: string;
  /**
   * Score of the newest point and the threshold it was compared with (for `resolved` and a
   * series' `absent`, the last ones seen); null for the query as a whole, which has no verdict.
   */
  score: number | null;
  threshold: number | null;
  /** Newest value of the series; null for the query as a whole. */
  value: number | null;
  /** When the alert started firing (Unix ms). */
  startsAtMs: number;
  /** Set when the notification ends its alert: `resolved`, and a series' `absent`. */
  endsAtMs?: number;
  /** Evaluation time that produced this notification (Unix ms). */
  atMs: number;
  /** Link to the Prometheus graph of the query, when the Prometheus URL is known. */
  generatorUrl?: string;
}

/**
 * A notification as it is queued and sent: its facts and the one-line summary people read,
 * written once when it is queued (`withSummary` in format.ts). Plain data: stored as pending, so
 * a delivery retried by a later run carries the text it was made with.
 */
export interface Notification extends NotificationFacts {
  summary: string;
}

export interface DeliveryResult {
  /** Notification ids delivered. */
  delivered: string[];
  /** Ids not delivered, with whether another run may succeed. */
  failed: { id: string; retryable: boolean; reason: string }[];
}

export interface AlertSink {
  /** Name in config and logs, e.g. `slack:team-sre`. Never contains the URL. */
  readonly name: string;
  /** Sends a batch (one message may carry many series). Never throws for delivery failures. */
  send(notifications: readonly Notification[], options?: { signal?: AbortSignal }): Promise<DeliveryResult>;
}
