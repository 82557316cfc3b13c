/**
 * Console sink: each notification as one line for people and one JSON line for tools, written
 * to an injected writer (stdout by default). Used by `npm start` and for trying a config out.
 * Writing to a stream cannot fail in a way a retry would fix, so every notification counts as
 * delivered.
 */
import { labelList } from '../series/index.js';
import { formatNumber, iso, kindTitle } from './format.js';
import { isQueryNotification, type AlertSink, type Notification } from './sink.js';

export interface ConsoleSinkOptions {
  name?: string;
}

export interface ConsoleSinkDeps {
  /** Receives one line at a time, without a newline. */
  write?: (line: string) => void;
}

/** What the line says about the series' numbers, or about the query as a whole. */
function detail(n: Notification): string {
  if (isQueryNotification(n)) return n.kind === 'resolved' ? 'the query returns series again' : 'the query returned no series';
  const last = `last score ${formatNumber(n.score)}, threshold ${formatNumber(n.threshold)}, value ${formatNumber(n.value)}`;
  if (n.kind === 'resolved') return `back to normal (${last})`;
  if (n.kind === 'absent') return `stopped reporting while firing (${last})`;
  return `score ${formatNumber(n.score)} >= threshold ${formatNumber(n.threshold)}, value ${formatNumber(n.value)}`;
}

/**
 * `[FIRING] latency {job="api"} score 0.81 >= 0.62, value 9.5, since ...`; the query as a whole
 * shows as `(query)`: `[NO DATA] warning latency (query) the query returned no series, since ...`.
 */
export function consoleLine(n: Notification): string {
  const times = n.endsAtMs !== undefined ? `${iso(n.startsAtMs)} .. ${iso(n.endsAtMs)}` : `since ${iso(n.startsAtMs)}`;
  const link = n.generatorUrl !== undefined ? ` ${n.generatorUrl}` : '';
  const subject = isQueryNotification(n) ? n.seriesKey : `{${labelList(n.labels)}}`;
  return `[${kindTitle(n)}] ${n.severity} ${n.detector} ${subject} ${detail(n)}, ${times}${link}`;
}

/** An AlertSink printing notifications. */
export function createConsoleSink(options: ConsoleSinkOptions = {}, deps: ConsoleSinkDeps = {}): AlertSink {
  const name = options.name ?? 'console';
  const write = deps.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  return {
    name,
    send: (notifications) => {
      for (const n of notifications) {
        write(consoleLine(n));
        write(JSON.stringify({ sink: name, notification: n }));
      }
      return Promise.resolve({ delivered: notifications.map((n) => n.id), failed: [] });
    },
  };
}
