/**
 * The `query_range` answer (`{status, data: {resultType: "matrix", result}}`) turned into
 * Series. Shared by the HTTP source and the file source, which stores the same shape.
 */
import { seriesKey, type Labels, type Series } from '../../series/index.js';

export interface MatrixSeries {
  labels: Labels;
  /** Seconds since the epoch, as Prometheus sends them. */
  timestampsSeconds: number[];
  /** As sent: decimal strings, `NaN`, `+Inf`, `-Inf`. */
  values: string[];
}

export interface QueryRangeSuccess {
  series: MatrixSeries[];
  warnings: string[];
}

/** Why a body is not a usable `query_range` answer; the caller adds source and query. */
export class MatrixShapeError extends Error {
  override name = 'MatrixShapeError';
}

/** Prometheus' error body, when the body is one. */
export function prometheusErrorOf(body: unknown): { errorType: string; error: string } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  if (record.status !== 'error') return undefined;
  return {
    errorType: typeof record.errorType === 'string' ? record.errorType : 'unknown',
    error: typeof record.error === 'string' ? record.error : 'no error text',
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks the shape of a successful answer; throws {@link MatrixShapeError} saying what is off. */
export function readMatrix(body: unknown): QueryRangeSuccess {
  if (!isRecord(body)) throw new MatrixShapeError('the answer is not a JSON object');
  if (body.status !== 'success') throw new MatrixShapeError(`"status" is ${JSON.stringify(body.status)}, not "success"`);
  const data = body.data;
  if (!isRecord(data)) throw new MatrixShapeError('"data" is missing');
  if (data.resultType !== 'matrix') {
    throw new MatrixShapeError(`"data.resultType" is ${JSON.stringify(data.resultType)}, expected "matrix"`);
  }
  if (!Array.isArray(data.result)) throw new MatrixShapeError('"data.result" is not a list');
  const series = data.result.map((entry: unknown, index): MatrixSeries => {
    if (!isRecord(entry) || !isRecord(entry.metric) || !Array.isArray(entry.values)) {
      throw new MatrixShapeError(`"data.result[${index}]" lacks "metric" or "values"`);
    }
    const labels: Record<string, string> = {};
    for (const [name, value] of Object.entries(entry.metric)) {
      if (typeof value !== 'string') throw new MatrixShapeError(`"data.result[${index}].metric.${name}" is not a string`);
      labels[name] = value;
    }
    const timestampsSeconds: number[] = new Array<number>(entry.values.length);
    const values: string[] = new Array<string>(entry.values.length);
    entry.values.forEach((pair: unknown, i) => {
      if (!Array.isArray(pair) || typeof pair[0] !== 'number' || typeof pair[1] !== 'string') {
        throw new MatrixShapeError(`"data.result[${index}].values[${i}]" is not [seconds, "value"]`);
      }
      timestampsSeconds[i] = pair[0];
      values[i] = pair[1];
    });
    return { labels, timestampsSeconds, values };
  });
  const warnings = Array.isArray(body.warnings) ? body.warnings.filter((w): w is string => typeof w === 'string') : [];
  return { series, warnings };
}

/**
 * Joins chunks of one or more answers into Series, one per label set, in order of first
 * appearance. Samples at or before the last kept timestamp (the boundary shared by two
 * chunks) are dropped; non-finite values are dropped and counted. `offsetMs` shifts every
 * timestamp (the file source's re-basing); `keep` filters by (shifted) timestamp.
 */
export function joinSeries(
  chunks: readonly MatrixSeries[][],
  options: { offsetMs?: number; keep?: (timestampMs: number) => boolean } = {},
): Series[] {
  const offsetMs = options.offsetMs ?? 0;
  const keep = options.keep ?? (() => true);
  const byKey = new Map<string, { labels: Labels; ts: number[]; values: number[]; dropped: number; lastMs: number }>();
  for (const chunk of chunks) {
    for (const s of chunk) {
      const key = seriesKey(s.labels);
      let acc = byKey.get(key);
      if (!acc) {
        acc = { labels: s.labels, ts: [], values: [], dropped: 0, lastMs: -Infinity };
        byKey.set(key, acc);
      }
      for (let i = 0; i < s.timestampsSeconds.length; i++) {
        const ms = Math.round((s.timestampsSeconds[i] ?? 0) * 1000) + offsetMs;
        if (ms <= acc.lastMs || !keep(ms)) continue;
        acc.lastMs = ms;
        // Number() reads Prometheus' "NaN", "+Inf", "-Inf" as NaN and ±Infinity.
        const value = Number(s.values[i]);
        if (!Number.isFinite(value)) {
          acc.dropped++;
          continue;
        }
        acc.ts.push(ms);
        acc.values.push(value);
      }
    }
  }
  return [...byKey.values()].map((acc) => ({
    labels: acc.labels,
    timestampsMs: Float64Array.from(acc.ts),
    values: Float64Array.from(acc.values),
    droppedNonFinite: acc.dropped,
  }));
}
