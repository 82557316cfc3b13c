/**
 * Generic JSON webhook: one POST per batch with every notification in full (payload version 1,
 * documented in docs/alerts-and-sinks.md). With a signing secret, `X-Signature-256: sha256=<hex>` carries the
 * HMAC-SHA256 of the exact raw body, as GitHub webhooks do, so a receiver can check that the
 * request came from us and was not altered.
 */
import { createHmac } from 'node:crypto';
import { alertStatus, iso } from './format.js';
import { createHttpPoster, deliverMessages, type HttpSinkDeps, type HttpSinkOptions } from './http-delivery.js';
import type { AlertSink, Notification } from './sink.js';

export interface WebhookSinkOptions extends HttpSinkOptions {
  /** HMAC-SHA256 key for the `X-Signature-256` header; no header without it. */
  signingSecret?: string;
}
export type WebhookSinkDeps = HttpSinkDeps;

/** Version of the payload below; bumped on any incompatible change. */
export const webhookPayloadVersion = 1;

/** One notification in the generic payload: times as ISO-8601 strings, every field present. */
export interface WebhookNotification {
  id: string;
  kind: Notification['kind'];
  /**
   * Whether the alert is still on (as Alertmanager's webhook says): `firing` for firing, repeat
   * and the query's `absent`; `resolved` for resolved and a series' `absent` (which ends it).
   */
  status: 'firing' | 'resolved';
  detector: string;
  seriesKey: string;
  labels: Record<string, string>;
  extraLabels: Record<string, string>;
  severity: Notification['severity'];
  query: string;
  /** Null for the query as a whole (`seriesKey` `(query)`), which has no verdict. */
  score: number | null;
  threshold: number | null;
  value: number | null;
  startsAt: string;
  endsAt: string | null;
  at: string;
  generatorUrl: string | null;
  summary: string;
}

export interface WebhookPayload {
  version: typeof webhookPayloadVersion;
  source: 'aiops-detector';
  sentAt: string;
  notifications: WebhookNotification[];
}

/** The generic payload for a batch. */
export function webhookPayload(notifications: readonly Notification[], sentAtMs: number): WebhookPayload {
  return {
    version: webhookPayloadVersion,
    source: 'aiops-detector',
    sentAt: iso(sentAtMs),
    notifications: notifications.map((n) => ({
      id: n.id,
      kind: n.kind,
      status: alertStatus(n),
      detector: n.detector,
      seriesKey: n.seriesKey,
      labels: { ...n.labels },
      extraLabels: { ...n.extraLabels },
      severity: n.severity,
      query: n.query,
      score: n.score,
      threshold: n.threshold,
      value: n.value,
      startsAt: iso(n.startsAtMs),
      endsAt: n.endsAtMs !== undefined ? iso(n.endsAtMs) : null,
      at: iso(n.atMs),
      generatorUrl: n.generatorUrl ?? null,
      summary: n.summary,
    })),
  };
}

/** `sha256=<hex HMAC-SHA256 of body>`, the value of `X-Signature-256`. */
export function signatureHeader(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** An AlertSink posting the generic JSON payload, signed when a signing secret is set. */
export function createWebhookSink(options: WebhookSinkOptions, deps: WebhookSinkDeps = {}): AlertSink {
  const name = options.name ?? 'webhook';
  const now = deps.now ?? (() => new Date());
  const poster = createHttpPoster(name, options, deps);
  return {
    name,
    send: (notifications, sendOptions) => {
      if (notifications.length === 0) return Promise.resolve({ delivered: [], failed: [] });
      const body = JSON.stringify(webhookPayload(notifications, now().getTime()));
      const headers: Record<string, string> = { 'user-agent': 'aiops-detector' };
      if (options.signingSecret !== undefined) headers['x-signature-256'] = signatureHeader(body, options.signingSecret);
      return deliverMessages(poster, [{ ids: notifications.map((n) => n.id), body, headers }], sendOptions?.signal);
    },
  };
}
