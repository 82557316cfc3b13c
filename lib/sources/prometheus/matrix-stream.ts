/**
 * Reads a `query_range` answer from the HTTP body as it arrives, one series at a time, so a
 * large answer is never held whole: neither as text nor as one parsed object tree. The incremental
 * JSON parser is `@streamparser/json` (maintained, no dependencies; it selects the values
 * at `$.data.result.*` and hands each over as soon as it is complete). Each series is checked
 * and passed to `onSeries` (which turns it into typed arrays), then removed from the parser's
 * tree; what remains of the answer (status, resultType, warnings) is checked at the end exactly
 * as a whole answer is (matrix.ts), so the messages and their order are the same as before.
 *
 * An answer of at most `parseWholeMaxBytes` (1 MB) is held until it is complete and parsed
 * with `JSON.parse` instead: the incremental parser runs as JavaScript, and until V8 has
 * optimised it (after a few answers) it costs about 100 ms of CPU for a 150 KB answer that
 * `JSON.parse` reads in 3 ms. That is most of a Lambda cold start's query time, and a small
 * answer held twice (text and tree) costs nothing. Its series, limits, errors and their order
 * are those of the streamed reading; a body `JSON.parse` rejects goes through the incremental
 * parser after all, so a malformed answer fails with the same message either way.
 *
 * Two limits bound what one answer may cost, and reading stops (the stream is destroyed,
 * which closes the connection) as soon as one is crossed: `maxSeries` entries of the result and
 * `maxResponseBytes` of body (decompressed); an answer held whole is checked against
 * `maxSeries` once it is read. A body that stops arriving for `idleTimeoutMs` fails as a
 * timeout.
 */
import type { Readable } from 'node:stream';
import { JSONParser, type ParsedElementInfo } from '@streamparser/json';
import { MatrixShapeError, readMatrixEntry, readMatrixFrame, type MatrixSeries } from './matrix.js';

export interface AnswerLimits {
  /** Entries of `data.result` one answer may hold. */
  maxSeries: number;
  /** Bytes of body one answer may hold (after decompression). */
  maxResponseBytes: number;
}

export interface ReadMatrixStreamOptions extends AnswerLimits {
  /** Longest wait for the next bytes of the body. */
  idleTimeoutMs: number;
  /** Answers up to this size are parsed whole with `JSON.parse` (default 1 MB; 0 = always streamed). */
  parseWholeMaxBytes?: number;
  /** Called with each series as soon as it is complete, in order. */
  onSeries: (series: MatrixSeries) => void;
}

/** An answer over one of the {@link AnswerLimits}; not retryable: the next run gets the same. */
export class AnswerLimitError extends Error {
  override name = 'AnswerLimitError';
  constructor(
    readonly limit: keyof AnswerLimits,
    message: string,
  ) {
    super(message);
  }
}

/** The body is not JSON (garbage, or cut short). */
export class AnswerSyntaxError extends Error {
  override name = 'AnswerSyntaxError';
}

/** No bytes arrived for `idleTimeoutMs` in the middle of the body. */
export class AnswerIdleError extends Error {
  override name = 'AnswerIdleError';
}

/** `100 MB` (decimal megabytes, as people read sizes), or `512 bytes` below one. */
export function formatBytes(bytes: number): string {
  return bytes < 1_000_000 ? `${bytes} bytes` : `${Number((bytes / 1_000_000).toFixed(1))} MB`;
}

const remedy = 'narrow or aggregate the query, or raise the limit';

const defaults = {
  parseWholeMaxBytes: 1_000_000,
} as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The error for an answer of more than `maxSeries` series. */
export function tooManySeries(maxSeries: number): AnswerLimitError {
  return new AnswerLimitError('maxSeries', `the answer has more than ${maxSeries} series (limit prometheus.maxSeries); ${remedy}`);
}

/** The error for an answer of more than `maxResponseBytes`; `announcedBytes` from Content-Length. */
export function tooManyBytes(maxResponseBytes: number, announcedBytes?: number): AnswerLimitError {
  const size =
    announcedBytes === undefined
      ? `larger than ${formatBytes(maxResponseBytes)}`
      : `${formatBytes(announcedBytes)} (Content-Length), larger than ${formatBytes(maxResponseBytes)}`;
  return new AnswerLimitError('maxResponseBytes', `the answer is ${size} (limit prometheus.maxResponseBytes); ${remedy}`);
}

/**
 * Parses the answer in `body`, passing each series to `onSeries`; returns Prometheus' warnings.
 * Throws {@link AnswerLimitError}, {@link AnswerSyntaxError}, {@link MatrixShapeError},
 * {@link AnswerIdleError}, or the stream's own error (connection lost, request aborted). On any
 * failure the stream is destroyed.
 */
export async function readMatrixStream(body: Readable, options: ReadMatrixStreamOptions): Promise<{ warnings: string[]; bytes: number }> {
  const parseWholeMaxBytes = options.parseWholeMaxBytes ?? defaults.parseWholeMaxBytes;
  const parser = new JSONParser({ paths: ['$', '$.data.result.*'], keepStack: false });
  let root: { value: unknown } | undefined;
  let entries = 0;
  let entryError: MatrixShapeError | undefined;
  // An error of our own thrown from inside the parser's callback, told apart from its syntax errors.
  let stop: unknown;

  /** One element of data.result, in order. After a bad entry nothing is converted; the frame's errors come first, as for a whole answer. */
  const onEntry = (value: unknown, index: number): void => {
    if (entryError !== undefined) return;
    if (++entries > options.maxSeries) throw tooManySeries(options.maxSeries);
    let series: MatrixSeries;
    try {
      series = readMatrixEntry(value, index);
    } catch (error) {
      if (!(error instanceof MatrixShapeError)) throw error;
      entryError = error;
      return;
    }
    options.onSeries(series);
  };

  parser.onValue = ({ value, key, parent, stack }: ParsedElementInfo) => {
    if (stack.length === 0) {
      root = { value };
      return;
    }
    // An element of data.result: dropped from the parser's tree, so only this one is held.
    if (Array.isArray(parent)) parent.pop();
    else if (parent !== undefined && typeof key === 'string') Reflect.deleteProperty(parent, key);
    // A string key: "result" is an object, reported by the frame check at the end.
    if (typeof key !== 'number') return;
    try {
      onEntry(value, key);
    } catch (error) {
      stop = error;
      throw error;
    }
  };

  const idle = setTimeout(() => {
    body.destroy(new AnswerIdleError(`no data for ${options.idleTimeoutMs} ms while reading the answer`));
  }, options.idleTimeoutMs);
  let bytes = 0;
  let complete = false;
  // The chunks of an answer that may still be parsed whole; none once it is streamed.
  let held: Buffer[] | undefined = parseWholeMaxBytes > 0 ? [] : undefined;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      idle.refresh();
      bytes += chunk.length;
      if (bytes > options.maxResponseBytes) throw tooManyBytes(options.maxResponseBytes);
      if (held !== undefined && bytes <= parseWholeMaxBytes) {
        held.push(chunk);
        continue;
      }
      if (held !== undefined) for (const heldChunk of held.splice(0)) write(() => parser.write(heldChunk));
      held = undefined;
      write(() => parser.write(chunk));
    }
    const whole = held !== undefined ? parseWhole(Buffer.concat(held)) : undefined;
    if (whole !== undefined) {
      root = whole;
      const result = isRecord(whole.value) && isRecord(whole.value.data) ? whole.value.data.result : undefined;
      if (Array.isArray(result)) result.forEach(onEntry);
    } else {
      // Not JSON: the incremental parser reads it after all and fails in its own words.
      for (const heldChunk of held ?? []) write(() => parser.write(heldChunk));
      write(() => {
        if (!parser.isEnded) parser.end();
      });
    }
    complete = true;
  } finally {
    clearTimeout(idle);
    // Stops the transfer when a limit or an error ended the loop early (closes the connection).
    if (!complete && !body.destroyed) body.destroy();
  }
  if (root === undefined) throw new AnswerSyntaxError('the body is empty');
  const { warnings } = readMatrixFrame(root.value);
  if (entryError) throw entryError;
  return { warnings, bytes };

  function write(step: () => void): void {
    try {
      step();
    } catch (error) {
      if (error === stop) throw error;
      throw new AnswerSyntaxError(syntaxMessage(error, bytes), { cause: error });
    }
  }
}

/** The answer parsed whole; undefined when `JSON.parse` rejects it (the caller streams it then). */
function parseWhole(bytes: Buffer): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(bytes.toString('utf8')) as unknown };
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** The parser's message, or a plain one for a body cut short. */
function syntaxMessage(error: unknown, bytes: number): string {
  const message = error instanceof Error ? error.message : String(error);
  return /ended in (the )?mid/i.test(message) ? `it ends in the middle of a value, after ${bytes} bytes` : message;
}
