/**
 * From an HTTP request to the cycle it asks for. Knative's PingSource posts a CloudEvent in
 * binary mode (`ce-*` headers, the data as the body); other senders may use structured mode
 * (`Content-Type: application/cloudevents+json`, the whole event as JSON). Both are read with
 * the `cloudevents` package and validated (specversion, id, source, type).
 *
 * What the event may say:
 * - `time`: the cycle evaluates as of this time (a retried delivery still judges its own
 *   minute); without it, the server's clock.
 * - data `{"detectors": ["a", "b"]}`: run only these detectors. Any other data (PingSource's
 *   `{"trigger":"schedule"}`, none at all) runs every detector.
 */
import { CloudEvent, HTTP, ValidationError } from 'cloudevents';
import { InputError, errorMessage } from '../errors.js';

/** The cycle an event asks for. */
export interface CycleTrigger {
  id: string;
  source: string;
  type: string;
  /** The event's `time`, when it carried one. */
  time?: Date;
  /** A subset of detectors by name; absent: all. */
  detectors?: string[];
}

/** The request is not a usable CloudEvent; the message says why (answered with 400). */
export class EventError extends InputError {
  override name = 'EventError';
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** RFC 3339 as CloudEvents requires: a date, a time and a zone (`Z` or an offset). */
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function parseTime(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const time = new Date(text);
  if (!rfc3339.test(text) || Number.isNaN(time.getTime())) {
    throw new EventError(`the event's time ${JSON.stringify(text.slice(0, 64))} is not an RFC 3339 timestamp`);
  }
  return time;
}

/** The raw `time` attribute as sent: the package fills in "now" when there is none. */
function rawTime(headers: Headers, body: string, structured: boolean): string | undefined {
  if (!structured) return header(headers, 'ce-time');
  const parsed = JSON.parse(body) as { time?: unknown };
  return typeof parsed.time === 'string' ? parsed.time : undefined;
}

function detectorsOf(data: unknown): string[] | undefined {
  let value = data;
  if (typeof value === 'string' && value.trim().startsWith('{')) {
    try {
      value = JSON.parse(value);
    } catch (error) {
      throw new EventError(`the event's data looks like JSON but is not: ${errorMessage(error)}`, { cause: error });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('detectors' in value)) return undefined;
  const detectors = value.detectors;
  if (!Array.isArray(detectors) || detectors.length === 0 || !detectors.every((d) => typeof d === 'string' && d.trim() !== '')) {
    throw new EventError('the event\'s data.detectors must be a non-empty list of detector names');
  }
  return [...new Set(detectors as string[])];
}

/**
 * Reads the CloudEvent of a request (headers with lower-case names, the body as text).
 * Throws {@link EventError} when there is none, it is invalid, or it is a batch.
 */
export function readCycleTrigger(headers: Headers, body: string): CycleTrigger {
  const contentType = (header(headers, 'content-type') ?? '').toLowerCase();
  if (contentType.startsWith('application/cloudevents-batch+json')) {
    throw new EventError('batched CloudEvents are not accepted: send one event per request');
  }
  const structured = contentType.startsWith('application/cloudevents+json');
  if (!structured && header(headers, 'ce-specversion') === undefined) {
    throw new EventError(
      'not a CloudEvent: expected binary mode (ce-specversion, ce-id, ce-source, ce-type headers) ' +
        'or structured mode (Content-Type: application/cloudevents+json)',
    );
  }
  let event: CloudEvent<unknown>;
  let time: Date | undefined;
  try {
    const parsed = HTTP.toEvent<unknown>({ headers: headers, body });
    if (Array.isArray(parsed)) throw new EventError('batched CloudEvents are not accepted: send one event per request');
    // toEvent builds a CloudEvent without checking it: a JSON body without `source` passes.
    event = parsed instanceof CloudEvent ? parsed : new CloudEvent<unknown>(parsed);
    event.validate();
    time = parseTime(rawTime(headers, body, structured));
  } catch (error) {
    if (error instanceof EventError) throw error;
    if (error instanceof ValidationError) {
      // The package's message repeats its schema errors as JSON; keep their plain text.
      const details = (error.errors ?? []).map((e) => (typeof e === 'string' ? e : (e.message ?? JSON.stringify(e))));
      const text = details.length > 0 ? details.join('; ') : error.message.replace(/\s+/g, ' ').trim();
      throw new EventError(`invalid CloudEvent: ${text}`, { cause: error });
    }
    throw new EventError(`invalid CloudEvent: ${errorMessage(error)}`, { cause: error });
  }
  const detectors = detectorsOf(event.data);
  return {
    id: event.id,
    source: event.source,
    type: event.type,
    ...(time ? { time } : {}),
    ...(detectors ? { detectors } : {}),
  };
}
