/**
 * From the alerts config to ready sinks: each sink is built by its registry entry
 * (lib/sinks/registry.ts), which resolves its URL and signing secret (env, file, Secrets Manager
 * through an injected provider). Returns the resolved secret values too, so the caller can hand
 * them to the logger's redaction list.
 */
import type * as z from 'zod';
import type { AlertsConfig, SinkConfig } from '../config/config.js';
import type { SecretRef } from '../config/fields.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { describeSecretRef, resolveSecret, type ResolveSecretDeps } from '../secrets/resolve-secret.js';
import { WebhookUrlError, type HttpSinkDeps } from './http-delivery.js';
import { sinkKindOf, type SinkContext, type SinkKind } from './registry.js';
import type { AlertSink } from './sink.js';

export interface CreateSinksDeps extends HttpSinkDeps {
  logger: Logger;
  secrets?: ResolveSecretDeps;
  /** Where the console sink writes (stdout by default). */
  consoleWrite?: (line: string) => void;
}

/**
 * A sink that cannot be built (its secret is missing, unreadable, or not an http(s) URL). It fails every delivery as
 * retryable, so its notifications stay pending and go out once the secret is fixed, and the
 * other sinks are not held back. The reason names where the secret was looked for, never a
 * value.
 */
function unavailableSink(name: string, reason: string, logger: Logger): AlertSink {
  logger.error('sink unavailable; its notifications stay pending', { sink: name, error: reason });
  return {
    name,
    send: (notifications) =>
      Promise.resolve({ delivered: [], failed: notifications.map((n) => ({ id: n.id, retryable: true, reason })) }),
  };
}

async function buildSink(sink: SinkConfig, context: SinkContext, logger: Logger): Promise<AlertSink> {
  // The schema built `sink` from this very entry's shape.
  const kind = sinkKindOf(sink.type) as SinkKind<string, z.ZodRawShape>;
  try {
    return await kind.create(sink, context);
  } catch (error) {
    // Say where the bad URL came from (an env var, a file, a secret id), never what it is.
    const reason =
      error instanceof WebhookUrlError && sink.url !== undefined
        ? `the webhook URL from ${describeSecretRef(sink.url)} is not an http:// or https:// URL`
        : errorMessage(error);
    return unavailableSink(sink.name, `sink ${sink.name}: ${reason}`, logger);
  }
}

/**
 * Every configured sink, built. A sink whose secret cannot be resolved is still returned, as one
 * that fails every delivery as retryable (logged once here): one broken webhook never stops the
 * others, and its notifications are kept for a later run.
 */
export async function createSinks(
  alerts: Pick<AlertsConfig, 'sinks' | 'repeatIntervalMinutes'>,
  deps: CreateSinksDeps,
): Promise<{ sinks: AlertSink[]; secrets: string[] }> {
  const secrets: string[] = [];
  const context: SinkContext = {
    secret: async (ref: SecretRef) => {
      const value = await resolveSecret(ref, deps.secrets);
      secrets.push(value);
      return value;
    },
    http: { logger: deps.logger, now: deps.now, random: deps.random, createHttpClient: deps.createHttpClient },
    ...(deps.consoleWrite ? { consoleWrite: deps.consoleWrite } : {}),
    repeatIntervalMinutes: alerts.repeatIntervalMinutes,
  };
  const sinks: AlertSink[] = [];
  for (const sink of alerts.sinks) sinks.push(await buildSink(sink, context, deps.logger));
  return { sinks, secrets };
}
