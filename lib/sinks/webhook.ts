/**
 * Generic JSON webhook: one POST per batch with every notification in full (payload version 1,
 * documented in docs/alerts-and-sinks.md). With a signing secret, the request is signed per
 * Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`), so a receiver can
 * check that it came from us, was not altered and is not a replay; the deprecated
 * `X-Signature-256` (HMAC of the body alone) is sent beside it. See webhook-signature.ts.
 */
import { alertStatus, iso } from './format.js';
import { createHttpPoster, deliverMessages, type HttpSinkDeps, type HttpSinkOptions } from './http-delivery.js';
import type { AlertSink, Notification } from './sink.js';
import { signatureHeader, signingKey, standardWebhookHeaders, webhookMessageId } from './webhook-signature.js';

export { signatureHeader } from './webhook-signature.js';

export interface WebhookSinkOptions extends HttpSinkOptions {
  /**
   * Signs every request when set: `whsec_<base64>` (Standard Webhooks) or any other string (its
   * UTF-8 bytes are the key). No signature headers without it.
   */
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

/**
 * An AlertSink posting the generic JSON payload, signed when a signing secret is set. Throws an
 * InputError (without the secret) for a `whsec_` secret that is not base64.
 */
export function createWebhookSink(options: WebhookSinkOptions, deps: WebhookSinkDeps = {}): AlertSink {
  const name = options.name ?? 'webhook';
  const now = deps.now ?? (() => new Date());
  const secret = options.signingSecret;
  const key = secret !== undefined ? signingKey(secret) : undefined;
  const poster = createHttpPoster(name, options, deps);
  return {
    name,
    send: (notifications, sendOptions) => {
      if (notifications.length === 0) return Promise.resolve({ delivered: [], failed: [] });
      const nowMs = now().getTime();
      const ids = notifications.map((n) => n.id);
      const body = JSON.stringify(webhookPayload(notifications, nowMs));
      const headers: Record<string, string> = { 'user-agent': 'aiops-detector' };
      if (secret !== undefined && key !== undefined) {
        // Retries within this send repeat these headers. With the defaults (4 attempts of at most
        // 10 s, waits of at most 10 s) the timestamp is then about a minute old at most, inside a
        // verifier's tolerance (5 minutes in the reference libraries).
        Object.assign(headers, standardWebhookHeaders(key, webhookMessageId(ids), nowMs, body));
        headers['x-signature-256'] = signatureHeader(body, secret);
      }
      return deliverMessages(poster, [{ ids, body, headers }], sendOptions?.signal);
    },
  };
}
