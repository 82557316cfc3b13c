/**
 * Which payload a webhook URL wants, for `ALERT_WEBHOOK` without `WEBHOOK_FORMAT`.
 */
import type { SinkFormat } from './config.js';

/** The `WEBHOOK_FORMAT` values; `generic` (and its alias `webhook`) is the generic JSON sink. */
export const webhookFormats = ['slack', 'teams', 'alertmanager', 'generic', 'webhook'] as const;
export type WebhookFormat = (typeof webhookFormats)[number];

/** The sink type of a `WEBHOOK_FORMAT` value. */
export function sinkTypeOfFormat(format: WebhookFormat): Exclude<SinkFormat, 'console'> {
  return format === 'generic' ? 'webhook' : format;
}

/**
 * The sink type a webhook URL most likely wants: Slack incoming webhooks live on
 * hooks.slack.com; Teams Workflows webhooks on Power Automate / Logic Apps hosts (and the
 * retired Office 365 connectors on *.webhook.office.com); Alertmanager's API path ends in
 * /api/v2/alerts. Anything else gets the generic JSON payload.
 */
export function inferSinkType(url: string): Exclude<SinkFormat, 'console'> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL: the generic sink reports it when it tries to send; say nothing of the value here.
    return 'webhook';
  }
  const host = parsed.hostname.toLowerCase();
  if (host === 'hooks.slack.com') return 'slack';
  if (
    host.endsWith('.webhook.office.com') ||
    host.endsWith('.logic.azure.com') ||
    host === 'powerplatform.com' ||
    host.endsWith('.powerplatform.com')
  ) {
    return 'teams';
  }
  if (/\/api\/v2\/alerts\/?$/.test(parsed.pathname)) return 'alertmanager';
  return 'webhook';
}
