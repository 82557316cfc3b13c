/**
 * The AlertSink port: where notifications go. Adapters: slack, teams, alertmanager, webhook
 * (generic JSON), console. Each is made by `createX(options, deps)` and passes the shared
 * contract test in test/unit/sinks/sink-contract.ts (retry, timeout, no secret in logs).
 */
import type { Labels } from '../series/index.js';

export type NotificationKind = 'firing' | 'repeat' | 'resolved';
export type Severity = 'info' | 'warning' | 'critical';

/**
 * One thing to tell people about one series of one detector, as the alert lifecycle decides it:
 * facts only, no text for people (lib/alerts/lifecycle.ts makes these).
 */
export interface NotificationFacts {
  /** Stable across retries: `${detector}|${seriesKey}|${kind}|${atMs}`; receivers may dedupe on it. */
  id: string;
  kind: NotificationKind;
  detector: string;
  /** Fingerprint of the series labels (lib/alerts/series-key.ts). */
  seriesKey: string;
  labels: Labels;
  severity: Severity;
  /** Extra labels configured on the detector. */
  extraLabels: Labels;
  query: string;
  /** Score of the newest point and the threshold it was compared with. */
  score: number;
  threshold: number;
  /** Newest value of the series. */
  value: number;
  /** When the alert started firing (Unix ms); for resolved, when it resolved too. */
  startsAtMs: number;
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
