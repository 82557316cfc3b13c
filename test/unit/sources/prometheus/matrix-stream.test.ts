/**
 * Reading a `query_range` answer as a stream (lib/sources/prometheus/matrix-stream.ts): the
 * same Series as parsing the whole body had given (test/support/whole-answer.ts), wherever the
 * bytes are cut; the same errors
 * for the same malformed answers; the limits, and that reading stops at them. Each holds for
 * both ways of reading: streamed (`parseWholeMaxBytes: 0`) and, below 1 MB, held and parsed whole.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Series } from '../../../../lib/series/index.js';
import { MatrixShapeError, readMatrix, type MatrixSeries } from '../../../../lib/sources/prometheus/matrix.js';
import {
  AnswerIdleError,
  AnswerLimitError,
  AnswerSyntaxError,
  readMatrixStream,
  type ReadMatrixStreamOptions,
} from '../../../../lib/sources/prometheus/matrix-stream.js';
import { createSeriesJoiner } from '../../../../lib/sources/prometheus/series-joiner.js';
import { parseWholeAnswer } from '../../../support/whole-answer.js';

const roomy = { maxSeries: 1_000_000, maxResponseBytes: 1_000_000_000, idleTimeoutMs: 5_000 };

/** The two ways an answer is read: incrementally, and (the default below 1 MB) whole. */
const readings = [
  ['streamed', { parseWholeMaxBytes: 0 }],
  ['parsed whole', {}],
] as const;

/** The streamed path: the chunks through readMatrixStream into a joiner. */
async function parseStreamed(
  chunks: readonly Buffer[],
  options: Partial<Omit<ReadMatrixStreamOptions, 'onSeries'>> = {},
): Promise<{ series: Series[]; warnings: string[] }> {
  const joiner = createSeriesJoiner();
  const { warnings } = await readMatrixStream(Readable.from(chunks), { ...roomy, ...options, onSeries: (s) => joiner.add(s) });
  return { series: joiner.finish(), warnings };
}

/** `bytes` cut at the given offsets (any order, repeats and out-of-range ones ignored). */
function cut(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    if (point > start) chunks.push(bytes.subarray(start, point));
    start = Math.max(start, point);
  }
  return chunks;
}

/** The error `promise` rejects with. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

const labelValue = fc.string({ unit: 'grapheme', maxLength: 6 });
const sampleValue = fc.oneof(
  fc.constantFrom('NaN', '+Inf', '-Inf', '0', '-0', '1e308', '4.9e-324', '0.1', '12345678901234567890'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
);
const entry = fc.record({
  metric: fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_]{0,7}$/), labelValue, { maxKeys: 3 }),
  // Seconds with millisecond fractions, not always increasing (the joiner drops repeats).
  values: fc.array(fc.tuple(fc.integer({ min: 1_700_000_000_000, max: 1_700_000_000_999 }).map((ms) => ms / 1000), sampleValue), {
    maxLength: 12,
  }),
});
const answer = fc.record(
  {
    status: fc.constant('success'),
    data: fc.record({ resultType: fc.constant('matrix'), result: fc.array(entry, { maxLength: 6 }) }),
    warnings: fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }),
  },
  { requiredKeys: ['status', 'data'] },
);

describe.each(readings)('readMatrixStream, %s: the same Series as a whole parse', (_reading, reading) => {
  it('for any answer, cut into chunks at any byte (inside a number, a string, a UTF-8 character)', async () => {
    await fc.assert(
      fc.asyncProperty(answer, fc.array(fc.nat(), { maxLength: 40 }), fc.constantFrom(0, 2), async (body, offsets, indent) => {
        // Prepare
        const text = JSON.stringify(body, null, indent);
        const chunks = cut(Buffer.from(text, 'utf8'), offsets);

        // Act
        const streamed = await parseStreamed(chunks, reading);

        // Assess
        expect(streamed).toEqual(parseWholeAnswer(text));
      }),
      { numRuns: 300 },
    );
  });

  it('one byte at a time', async () => {
    // Prepare
    const text = JSON.stringify({
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          { metric: { __name__: 'up', city: 'Zürich 東京 🚀' }, values: [[1_700_000_000, '1'], [1_700_000_060.5, 'NaN'], [1_700_000_120, '2.5e3']] },
          { metric: {}, values: [] },
        ],
      },
      warnings: ['partial'],
    });
    const bytes = Buffer.from(text, 'utf8');

    // Act
    const streamed = await parseStreamed(
      [...bytes].map((b) => Buffer.from([b])),
      reading,
    );

    // Assess
    expect(streamed).toEqual(parseWholeAnswer(text));
    expect(streamed.series[0]?.labels.city).toBe('Zürich 東京 🚀');
    expect(streamed.series[0]?.droppedNonFinite).toBe(1);
  });
});

describe.each(readings)('readMatrixStream, %s: malformed answers', (_reading, reading) => {
  const frame = (result: unknown): string => JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } });

  it.each([
    ['not an object', '[1, 2]'],
    ['status error', JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'x' })],
    ['no data', JSON.stringify({ status: 'success' })],
    ['an instant vector', JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '1'] }] } })],
    ['result not a list', JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: { a: { metric: {}, values: [] } } } })],
    ['an entry without values', frame([{ metric: { a: '1' }, values: [] }, { metric: { a: '2' } }])],
    ['a label that is not a string', frame([{ metric: { a: 1 }, values: [] }])],
    ['a sample that is not a pair', frame([{ metric: {}, values: [[1, '1'], [2, 3]] }])],
    ['status after a bad entry', `{"data":{"resultType":"matrix","result":[{"metric":{}}]},"status":"fail"}`],
  ])('%s: the same message as a whole parse', async (_name, text) => {
    // Prepare
    let expected: unknown;
    try {
      readMatrix(JSON.parse(text));
    } catch (error) {
      expected = error;
    }
    expect(expected).toBeInstanceOf(MatrixShapeError);

    // Act
    const error = await rejection(parseStreamed(cut(Buffer.from(text), [3, 17, 40]), reading));

    // Assess
    expect(error).toBeInstanceOf(MatrixShapeError);
    expect(error.message).toBe((expected as Error).message);
  });

  it.each([
    ['cut short', '{"status":"success","data":', /ends in the middle of a value, after 27 bytes/],
    ['garbage', '<html>502 Bad Gateway</html>', /.+/],
    ['a second value after the answer', `${frame([])} {}`, /.+/],
    ['empty', '', /the body is empty/],
  ])('%s: not JSON', async (_name, text, message) => {
    // Act
    const error = await rejection(parseStreamed([Buffer.from(text)], reading));

    // Assess
    expect(error).toBeInstanceOf(AnswerSyntaxError);
    expect(error.message).toMatch(message);
  });
});

describe('readMatrixStream: limits', () => {
  /** A body that yields one series per chunk and counts how many chunks were pulled. */
  function seriesStream(count: number): { body: Readable; pulled: () => number } {
    let pulled = 0;
    function* chunks(): Generator<Buffer> {
      yield Buffer.from('{"status":"success","data":{"resultType":"matrix","result":[');
      for (let i = 0; i < count; i++) {
        pulled++;
        yield Buffer.from(`${i === 0 ? '' : ','}{"metric":{"i":"${i}"},"values":[[1700000000,"${i}"]]}`);
      }
      yield Buffer.from(']}}');
    }
    return { body: Readable.from(chunks(), { highWaterMark: 1 }), pulled: () => pulled };
  }

  it('stops at the series after maxSeries and names the limit and its key', async () => {
    // Prepare
    const { body, pulled } = seriesStream(1_000);
    const seen: MatrixSeries[] = [];

    // Act
    const error = await rejection(
      readMatrixStream(body, { ...roomy, parseWholeMaxBytes: 0, maxSeries: 10, onSeries: (s) => seen.push(s) }),
    );

    // Assess
    expect(error).toBeInstanceOf(AnswerLimitError);
    expect((error as AnswerLimitError).limit).toBe('maxSeries');
    expect(error.message).toBe(
      'the answer has more than 10 series (limit prometheus.maxSeries); narrow or aggregate the query, or raise the limit',
    );
    expect(seen).toHaveLength(10);
    expect(pulled()).toBeLessThan(20);
    expect(body.destroyed).toBe(true);
  });

  it('an answer held whole: the same error and the same series handed over, once it is read', async () => {
    // Prepare: 1,000 series of about 50 bytes, well below parseWholeMaxBytes
    const { body, pulled } = seriesStream(1_000);
    const seen: MatrixSeries[] = [];

    // Act
    const error = await rejection(readMatrixStream(body, { ...roomy, maxSeries: 10, onSeries: (s) => seen.push(s) }));

    // Assess
    expect(error).toBeInstanceOf(AnswerLimitError);
    expect((error as AnswerLimitError).limit).toBe('maxSeries');
    expect(seen).toHaveLength(10);
    expect(pulled()).toBe(1_000);
  });

  it('an answer that grows past parseWholeMaxBytes is streamed from there on, and stops at maxSeries', async () => {
    // Prepare
    const { body, pulled } = seriesStream(1_000);
    const seen: MatrixSeries[] = [];

    // Act
    const error = await rejection(
      readMatrixStream(body, { ...roomy, parseWholeMaxBytes: 200, maxSeries: 10, onSeries: (s) => seen.push(s) }),
    );

    // Assess
    expect(error).toBeInstanceOf(AnswerLimitError);
    expect(seen).toHaveLength(10);
    expect(pulled()).toBeLessThan(20);
    expect(body.destroyed).toBe(true);
  });

  it('stops at the chunk that crosses maxResponseBytes', async () => {
    // Prepare
    const { body, pulled } = seriesStream(1_000);

    // Act
    const error = await rejection(readMatrixStream(body, { ...roomy, maxResponseBytes: 2_000, onSeries: () => undefined }));

    // Assess
    expect(error).toBeInstanceOf(AnswerLimitError);
    expect((error as AnswerLimitError).limit).toBe('maxResponseBytes');
    expect(error.message).toBe(
      'the answer is larger than 2000 bytes (limit prometheus.maxResponseBytes); narrow or aggregate the query, or raise the limit',
    );
    expect(pulled()).toBeLessThan(60);
    expect(body.destroyed).toBe(true);
  });

  it('an answer exactly at both limits is read', async () => {
    // Prepare
    const text = frame3();
    const bytes = Buffer.byteLength(text);

    // Act
    const { series } = await parseStreamed([Buffer.from(text)], { maxSeries: 3, maxResponseBytes: bytes });

    // Assess
    expect(series).toHaveLength(3);
  });

  it('a body that stops arriving fails after idleTimeoutMs', async () => {
    // Prepare: half an answer, then silence
    const body = new Readable({ read: () => undefined });
    body.push(Buffer.from('{"status":"success","data":{"resultType":"matrix","result":['));
    const started = performance.now();

    // Act
    const error = await rejection(readMatrixStream(body, { ...roomy, idleTimeoutMs: 50, onSeries: () => undefined }));

    // Assess
    expect(error).toBeInstanceOf(AnswerIdleError);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

function frame3(): string {
  const result = [1, 2, 3].map((i) => ({ metric: { i: String(i) }, values: [[1_700_000_000, String(i)]] }));
  return JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } });
}
