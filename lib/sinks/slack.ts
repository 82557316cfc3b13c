/**
 * Slack incoming webhook: one Block Kit message for a whole batch (many series), with a
 * top-level `text` that Slack shows in notifications and where blocks cannot be rendered.
 * Slack's limits: 50 blocks per message, 3,000 characters per section text, 150 per header;
 * a batch over 50 blocks becomes several messages, each its own delivery.
 */
import { labelList } from '../series/index.js';
import { formatNumber, iso, kindCounts, kindTitle, truncate } from './format.js';
import { createHttpPoster, deliverMessages, type HttpSinkDeps, type HttpSinkOptions, type Message } from './http-delivery.js';
import { isQueryNotification, type AlertSink, type Notification } from './sink.js';

export const slackLimits = { blocksPerMessage: 50, sectionTextChars: 3000, headerTextChars: 150, fallbackTextChars: 3000 } as const;

export type SlackSinkOptions = HttpSinkOptions;
export type SlackSinkDeps = HttpSinkDeps;

const kindEmoji: Record<Notification['kind'], string> = {
  firing: ':rotating_light:',
  repeat: ':warning:',
  resolved: ':white_check_mark:',
  absent: ':grey_question:',
};

/** Slack mrkdwn treats `&`, `<` and `>` as control characters; everything else is literal. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** What the section says about the series (or the query) and its numbers. */
function detailLines(n: Notification): string[] {
  if (isQueryNotification(n)) {
    return [
      `query \`${escape(n.query)}\``,
      n.kind === 'resolved' ? 'returns series again' : 'returned no series (it returned some before)',
    ];
  }
  const last = `last score ${formatNumber(n.score)} (threshold ${formatNumber(n.threshold)}) · value ${formatNumber(n.value)}`;
  return [
    `\`${escape(labelList(n.labels))}\``,
    n.kind === 'resolved'
      ? `back to normal · ${last}`
      : n.kind === 'absent'
        ? `stopped reporting while firing: the alert ends without a verdict · ${last}`
        : `score *${formatNumber(n.score)}* ≥ threshold ${formatNumber(n.threshold)} · value *${formatNumber(n.value)}*`,
  ];
}

function section(n: Notification): Record<string, unknown> {
  const ended = n.endsAtMs !== undefined ? ` · ${n.kind === 'absent' ? 'ended' : 'resolved'} ${iso(n.endsAtMs)}` : '';
  const lines = [
    `${kindEmoji[n.kind]} *${kindTitle(n)}* · *${escape(n.detector)}* · severity ${n.severity}`,
    ...detailLines(n),
    `since ${iso(n.startsAtMs)}${ended}`,
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
    const title = truncate(`aiops-detector: ${kindCounts(chunk)} (${detectors})`, slackLimits.headerTextChars);
    const fallback = truncate(
      [title, ...chunk.map((n) => `${kindTitle(n)} ${n.detector} ${isQueryNotification(n) ? 'query' : labelList(n.labels)}`)].join('\n'),
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
