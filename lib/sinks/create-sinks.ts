/**
 * From the alerts config to ready sinks: resolves each sink's URL and signing secret (env,
 * file, Secrets Manager through an injected provider) and builds the adapter. Returns the
 * resolved secret values too, so the caller can hand them to the logger's redaction list.
 */
import type { AlertsConfig, SinkConfig } from '../config/config.js';
import { InputError } from '../errors.js';
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

async function buildSink(
  sink: SinkConfig,
  alerts: Pick<AlertsConfig, 'repeatIntervalMinutes'>,
  deps: CreateSinksDeps,
  secrets: string[],
): Promise<AlertSink> {
  if (sink.type === 'console') return createConsoleSink({ name: sink.name }, { write: deps.consoleWrite });
  if (!sink.url) throw new InputError(`Sink ${sink.name} (${sink.type}) has no url`);
  const url = await resolveSecret(sink.url, deps.secrets);
  secrets.push(url);
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
    case 'webhook': {
      const signingSecret = sink.signingSecret ? await resolveSecret(sink.signingSecret, deps.secrets) : undefined;
      if (signingSecret !== undefined) secrets.push(signingSecret);
      return createWebhookSink({ ...options, signingSecret }, httpDeps);
    }
  }
}

/**
 * Every configured sink, built. Throws SecretError when a secret cannot be resolved (naming
 * where it was looked for) and InputError for an HTTP sink without a URL.
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
