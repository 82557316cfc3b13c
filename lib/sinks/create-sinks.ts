/**
 * From the alerts config to ready sinks: resolves each sink's URL and signing secret (env,
 * file, Secrets Manager through an injected provider) and builds the adapter. Returns the
 * resolved secret values too, so the caller can hand them to the logger's redaction list.
 */
import type { AlertsConfig, SinkConfig } from '../config/config.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { resolveSecret, type ResolveSecretDeps } from '../secrets/resolve-secret.js';
import { createAlertmanagerSink } from './alertmanager.js';
import { createConsoleSink } from './console.js';
import type { HttpSinkDeps } from './http-delivery.js';
import type { AlertSink } from './sink.js';
import { createSlackSink } from './slack.js';
import { createTeamsSink } from './teams.js';
import { createWebhookSink } from './webhook.js';

export interface CreateSinksDeps extends HttpSinkDeps {
  logger: Logger;
  secrets?: ResolveSecretDeps;
  /** Where the console sink writes (stdout by default). */
  consoleWrite?: (line: string) => void;
}

/** Margin after the repeat interval before Alertmanager resolves a firing alert by itself. */
const alertmanagerMarginMs = 15 * 60_000;

/**
 * A sink that cannot be built (its secret is missing or unreadable, it has no URL). It fails
 * every delivery as retryable, so its notifications stay pending and go out once the secret is
 * fixed, and the other sinks are not held back. The reason names where the secret was looked
 * for, never a value.
 */
function unavailableSink(name: string, reason: string, logger: Logger): AlertSink {
  logger.error('sink unavailable; its notifications stay pending', { sink: name, error: reason });
  return {
    name,
    send: (notifications) =>
      Promise.resolve({ delivered: [], failed: notifications.map((n) => ({ id: n.id, retryable: true, reason })) }),
  };
}

async function buildSink(
  sink: SinkConfig,
  alerts: Pick<AlertsConfig, 'repeatIntervalMinutes'>,
  deps: CreateSinksDeps,
  secrets: string[],
): Promise<AlertSink> {
  if (sink.type === 'console') return createConsoleSink({ name: sink.name }, { write: deps.consoleWrite });
  if (!sink.url) return unavailableSink(sink.name, `sink ${sink.name} (${sink.type}) has no url`, deps.logger);
  let url: string;
  let signingSecret: string | undefined;
  try {
    url = await resolveSecret(sink.url, deps.secrets);
    secrets.push(url);
    if (sink.type === 'webhook' && sink.signingSecret) {
      signingSecret = await resolveSecret(sink.signingSecret, deps.secrets);
      secrets.push(signingSecret);
    }
  } catch (error) {
    return unavailableSink(sink.name, `sink ${sink.name}: ${errorMessage(error)}`, deps.logger);
  }
  const options = { name: sink.name, url, timeoutMs: sink.timeoutMs, retries: sink.retries };
  const httpDeps: HttpSinkDeps = {
    logger: deps.logger,
    now: deps.now,
    random: deps.random,
    createHttpClient: deps.createHttpClient,
  };
  switch (sink.type) {
    case 'slack':
      return createSlackSink(options, httpDeps);
    case 'teams':
      return createTeamsSink(options, httpDeps);
    case 'alertmanager':
      return createAlertmanagerSink(
        { ...options, activeForMs: alerts.repeatIntervalMinutes * 60_000 + alertmanagerMarginMs },
        httpDeps,
      );
    case 'webhook':
      return createWebhookSink({ ...options, signingSecret }, httpDeps);
  }
}

/**
 * Every configured sink, built. A sink whose secret cannot be resolved, or that has no URL, is
 * still returned, as one that fails every delivery as retryable (logged once here): one broken
 * webhook never stops the others, and its notifications are kept for a later run.
 */
export async function createSinks(
  alerts: Pick<AlertsConfig, 'sinks' | 'repeatIntervalMinutes'>,
  deps: CreateSinksDeps,
): Promise<{ sinks: AlertSink[]; secrets: string[] }> {
  const secrets: string[] = [];
  const sinks: AlertSink[] = [];
  for (const sink of alerts.sinks) sinks.push(await buildSink(sink, alerts, deps, secrets));
  return { sinks, secrets };
}
