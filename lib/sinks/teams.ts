/**
 * Microsoft Teams through a Workflows (Power Automate) webhook: the flow template "Post to a
 * channel when a webhook request is received" takes a message with an Adaptive Card attachment.
 * The Office 365 connector MessageCard is retired, so it is not used.
 * Teams rejects messages over about 28 KB; a batch is split into cards of at most
 * `maxCardBytes` (default 24,000), each message its own delivery.
 */
import { formatNumber, iso, kindCounts, kindTitle, truncate } from './format.js';
import { createHttpPoster, deliverMessages, type HttpSinkDeps, type HttpSinkOptions, type Message } from './http-delivery.js';
import { isQueryNotification, type AlertSink, type Notification } from './sink.js';

export interface TeamsSinkOptions extends HttpSinkOptions {
  /** Upper bound of one message's JSON, in bytes (default 24,000; Teams' limit is ~28 KB). */
  maxCardBytes?: number;
}
export type TeamsSinkDeps = HttpSinkDeps;

const defaultMaxCardBytes = 24_000;
/** A single fact value longer than this is cut, so one series cannot overflow a card. */
const maxFactChars = 500;

function notificationContainer(n: Notification): Record<string, unknown> {
  const facts = Object.keys(n.labels)
    .sort()
    .map((name) => ({ title: truncate(name, 100), value: truncate(n.labels[name] ?? '', maxFactChars) }));
  // The query as a whole has no verdict: its card names the query instead of numbers.
  if (isQueryNotification(n)) facts.push({ title: 'query', value: truncate(n.query, maxFactChars) });
  else {
    facts.push(
      { title: 'score', value: `${formatNumber(n.score)} (threshold ${formatNumber(n.threshold)})` },
      { title: 'value', value: formatNumber(n.value) },
    );
  }
  facts.push({ title: 'severity', value: n.severity }, { title: 'since', value: iso(n.startsAtMs) });
  if (n.endsAtMs !== undefined) facts.push({ title: n.kind === 'absent' ? 'ended' : 'resolved', value: iso(n.endsAtMs) });
  for (const name of Object.keys(n.extraLabels).sort()) {
    facts.push({ title: truncate(name, 100), value: truncate(n.extraLabels[name] ?? '', maxFactChars) });
  }
  const items: Record<string, unknown>[] = [
    {
      type: 'TextBlock',
      text: truncate(`${kindTitle(n)}: ${n.detector}`, 200),
      weight: 'Bolder',
      color: n.kind === 'resolved' ? 'Good' : n.kind === 'absent' ? 'Warning' : 'Attention',
      wrap: true,
    },
    { type: 'TextBlock', text: truncate(n.summary, maxFactChars), wrap: true, isSubtle: true },
    { type: 'FactSet', facts },
  ];
  if (n.generatorUrl !== undefined) {
    items.push({ type: 'ActionSet', actions: [{ type: 'Action.OpenUrl', title: 'Graph in Prometheus', url: n.generatorUrl }] });
  }
  return { type: 'Container', separator: true, spacing: 'Medium', items };
}

function envelope(title: string, containers: readonly Record<string, unknown>[]): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body: [{ type: 'TextBlock', text: title, size: 'Large', weight: 'Bolder', wrap: true }, ...containers],
        },
      },
    ],
  };
}

function titleFor(notifications: readonly Notification[]): string {
  const detectors = [...new Set(notifications.map((n) => n.detector))].join(', ');
  return truncate(`aiops-detector: ${kindCounts(notifications)} (${detectors})`, 200);
}

/** The Teams payloads for a batch, each under `maxCardBytes`. */
export function teamsMessages(
  notifications: readonly Notification[],
  maxCardBytes = defaultMaxCardBytes,
): { ids: string[]; payload: Record<string, unknown> }[] {
  const out: { ids: string[]; payload: Record<string, unknown> }[] = [];
  let chunk: Notification[] = [];
  const build = (list: readonly Notification[]) => envelope(titleFor(list), list.map(notificationContainer));
  for (const n of notifications) {
    const candidate = [...chunk, n];
    if (chunk.length > 0 && Buffer.byteLength(JSON.stringify(build(candidate))) > maxCardBytes) {
      out.push({ ids: chunk.map((c) => c.id), payload: build(chunk) });
      chunk = [n];
    } else {
      chunk = candidate;
    }
  }
  if (chunk.length > 0) out.push({ ids: chunk.map((c) => c.id), payload: build(chunk) });
  return out;
}

/** An AlertSink posting Adaptive Cards to a Teams Workflows webhook. */
export function createTeamsSink(options: TeamsSinkOptions, deps: TeamsSinkDeps = {}): AlertSink {
  const name = options.name ?? 'teams';
  const poster = createHttpPoster(name, options, deps);
  return {
    name,
    send: (notifications, sendOptions) => {
      const messages: Message[] = teamsMessages(notifications, options.maxCardBytes).map((m) => ({
        ids: m.ids,
        body: JSON.stringify(m.payload),
      }));
      return deliverMessages(poster, messages, sendOptions?.signal);
    },
  };
}
