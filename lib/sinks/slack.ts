/**
 * Slack incoming webhook: one Block Kit message for a whole batch (many series), with a
 * top-level `text` that Slack shows in notifications and where blocks cannot be rendered.
 * Slack's limits: 50 blocks per message, 3,000 characters per section text, 150 per header;
 * a batch over 50 blocks becomes several messages, each its own delivery.
 */
import { labelList } from '../series/index.js';
import { formatNumber, iso, kindTitle, truncate } from './format.js';
import { createHttpPoster, deliverMessages, type HttpSinkDeps, type HttpSinkOptions, type Message } from './http-delivery.js';
import type { AlertSink, Notification } from './sink.js';

export const slackLimits = { blocksPerMessage: 50, sectionTextChars: 3000, headerTextChars: 150, fallbackTextChars: 3000 } as const;

export type SlackSinkOptions = HttpSinkOptions;
export type SlackSinkDeps = HttpSinkDeps;

const kindEmoji: Record<Notification['kind'], string> = {
  firing: ':rotating_light:',
  repeat: ':warning:',
  resolved: ':white_check_mark:',
};

/** Slack mrkdwn treats `&`, `<` and `>` as control characters; everything else is literal. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function countBy(notifications: readonly Notification[]): string {
  const firing = notifications.filter((n) => n.kind !== 'resolved').length;
  const resolved = notifications.length - firing;
  const parts: string[] = [];
  if (firing > 0) parts.push(`${firing} firing`);
  if (resolved > 0) parts.push(`${resolved} resolved`);
  return parts.join(', ');
}

function section(n: Notification): Record<string, unknown> {
  const lines = [
    `${kindEmoji[n.kind]} *${kindTitle(n)}* · *${escape(n.detector)}* · severity ${n.severity}`,
    `\`${escape(labelList(n.labels))}\``,
    n.kind === 'resolved'
      ? `back to normal · last score ${formatNumber(n.score)} (threshold ${formatNumber(n.threshold)}) · value ${formatNumber(n.value)}`
      : `score *${formatNumber(n.score)}* ≥ threshold ${formatNumber(n.threshold)} · value *${formatNumber(n.value)}*`,
    `since ${iso(n.startsAtMs)}${n.endsAtMs !== undefined ? ` · resolved ${iso(n.endsAtMs)}` : ''}`,
  ];
  if (Object.keys(n.extraLabels).length > 0) lines.push(escape(labelList(n.extraLabels)));
  // The link goes last so truncation of a huge label set never cuts it in half.
  const link = n.generatorUrl !== undefined ? `\n<${n.generatorUrl}|Graph in Prometheus>` : '';
  const text = truncate(lines.join('\n'), slackLimits.sectionTextChars - link.length) + link;
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

/** The Slack payloads for a batch: one per up to 49 notifications (a header takes one block). */
export function slackMessages(notifications: readonly Notification[]): { ids: string[]; payload: Record<string, unknown> }[] {
  const perMessage = slackLimits.blocksPerMessage - 1;
  const out: { ids: string[]; payload: Record<string, unknown> }[] = [];
  for (let start = 0; start < notifications.length; start += perMessage) {
    const chunk = notifications.slice(start, start + perMessage);
    const detectors = [...new Set(chunk.map((n) => n.detector))].join(', ');
    const title = truncate(`aiops-detector: ${countBy(chunk)} (${detectors})`, slackLimits.headerTextChars);
    const fallback = truncate(
      [title, ...chunk.map((n) => `${kindTitle(n)} ${n.detector} ${labelList(n.labels)}`)].join('\n'),
      slackLimits.fallbackTextChars,
    );
    out.push({
      ids: chunk.map((n) => n.id),
      payload: {
        text: fallback,
        blocks: [{ type: 'header', text: { type: 'plain_text', text: title } }, ...chunk.map(section)],
      },
    });
  }
  return out;
}

/** An AlertSink posting Block Kit messages to a Slack incoming webhook. */
export function createSlackSink(options: SlackSinkOptions, deps: SlackSinkDeps = {}): AlertSink {
  const name = options.name ?? 'slack';
  const poster = createHttpPoster(name, options, deps);
  return {
    name,
    send: (notifications, sendOptions) => {
      const messages: Message[] = slackMessages(notifications).map((m) => ({ ids: m.ids, body: JSON.stringify(m.payload) }));
      return deliverMessages(poster, messages, sendOptions?.signal);
    },
  };
}
