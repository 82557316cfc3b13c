/**
 * Console sink: each notification as one line for people and one JSON line for tools, written
 * to an injected writer (stdout by default). Used by `npm start` and for trying a config out.
 * Writing to a stream cannot fail in a way a retry would fix, so every notification counts as
 * delivered.
 */
import { labelList } from '../series/index.js';
import { formatNumber, iso, kindTitle } from './format.js';
import type { AlertSink, Notification } from './sink.js';

export interface ConsoleSinkOptions {
  name?: string;
}

export interface ConsoleSinkDeps {
  /** Receives one line at a time, without a newline. */
  write?: (line: string) => void;
}

/** `[FIRING] latency {job="api"} score 0.81 >= 0.62, value 9.5, since ...`. */
export function consoleLine(n: Notification): string {
  const numbers =
    n.kind === 'resolved'
      ? `back to normal (last score ${formatNumber(n.score)}, threshold ${formatNumber(n.threshold)}, value ${formatNumber(n.value)})`
      : `score ${formatNumber(n.score)} >= threshold ${formatNumber(n.threshold)}, value ${formatNumber(n.value)}`;
  const times = n.endsAtMs !== undefined ? `${iso(n.startsAtMs)} .. ${iso(n.endsAtMs)}` : `since ${iso(n.startsAtMs)}`;
  const link = n.generatorUrl !== undefined ? ` ${n.generatorUrl}` : '';
  return `[${kindTitle(n)}] ${n.severity} ${n.detector} {${labelList(n.labels)}} ${numbers}, ${times}${link}`;
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
