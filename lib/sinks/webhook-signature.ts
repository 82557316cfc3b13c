/**
 * Signatures of the generic webhook (docs/alerts-and-sinks.md#verifying-the-signature).
 *
 * Standard Webhooks (standardwebhooks.com, spec v1): `webhook-id`, `webhook-timestamp` (unix
 * seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`. The
 * timestamp is signed, so a receiver that rejects old timestamps (the reference verifier allows
 * 5 minutes) cannot be fed a captured request again later; the id is signed too and is the same
 * for every attempt at the same batch, so a receiver can drop a repeat.
 *
 * The legacy `X-Signature-256: sha256=<hex HMAC of body>` (GitHub's scheme, no timestamp) is
 * still sent for receivers written against it; it is deprecated.
 */
import { createHash, createHmac } from 'node:crypto';
import { InputError } from '../errors.js';

/** The spec's prefix of a secret written as `whsec_<base64 of the key>`. */
export const standardSecretPrefix = 'whsec_';

/** Standard (padded) base64, as the spec and its reference libraries write secrets. */
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The HMAC key of a `signingSecret`: for `whsec_<base64>` the decoded bytes, as the spec says;
 * for any other string its UTF-8 bytes, so secrets configured before Standard Webhooks keep
 * working (a receiver gives its verifier `whsec_` + base64 of those bytes). Throws an
 * {@link InputError} that never contains the secret.
 */
export function signingKey(secret: string): Buffer {
  if (!secret.startsWith(standardSecretPrefix)) {
    if (secret === '') throw new InputError('signingSecret is empty');
    return Buffer.from(secret, 'utf8');
  }
  const encoded = secret.slice(standardSecretPrefix.length);
  if (encoded === '' || !base64Pattern.test(encoded)) {
    throw new InputError(
      `signingSecret starts with "${standardSecretPrefix}" but the rest is not base64 (a Standard Webhooks secret is ${standardSecretPrefix}<base64 of the key>)`,
    );
  }
  return Buffer.from(encoded, 'base64');
}

/**
 * The `webhook-id` of a batch: derived from its notification ids (order does not matter), so
 * every attempt at the same batch, in this run or a later one, carries the same id.
 */
export function webhookMessageId(notificationIds: readonly string[]): string {
  const digest = createHash('sha256').update([...notificationIds].sort().join('\n'), 'utf8').digest('base64url');
  return `msg_${digest}`;
}

/** The three Standard Webhooks headers for one request. */
export interface StandardWebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** Signs `body` per Standard Webhooks v1; `timestampMs` is rounded down to whole seconds. */
export function standardWebhookHeaders(key: Buffer, id: string, timestampMs: number, body: string): StandardWebhookHeaders {
  const timestamp = String(Math.floor(timestampMs / 1000));
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

/**
 * `sha256=<hex HMAC-SHA256 of body>`, the value of the deprecated `X-Signature-256`; its key is
 * the `signingSecret` string as configured (UTF-8, `whsec_` included), as it always was.
 */
export function signatureHeader(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}
