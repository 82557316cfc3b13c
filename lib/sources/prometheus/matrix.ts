/**
 * The `query_range` answer (`{status, data: {resultType: "matrix", result}}`): its checks, in
 * one place for the HTTP source (which reads the answer as a stream, matrix-stream.ts) and the
 * file source (which parses its small recordings whole). The checks come in two parts so a
 * streamed answer can apply them as it goes: the frame (status, data, resultType, the result
 * list) and each entry of the result (one series).
 */
import type { Labels } from '../../series/index.js';

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

/**
 * Checks everything of a successful answer but its entries: an object, `status` "success",
 * `data.resultType` "matrix", `data.result` a list. Returns that list and the warnings; throws
 * {@link MatrixShapeError} saying what is off.
 */
export function readMatrixFrame(body: unknown): { result: unknown[]; warnings: string[] } {
  if (!isRecord(body)) throw new MatrixShapeError('the answer is not a JSON object');
  if (body.status !== 'success') throw new MatrixShapeError(`"status" is ${JSON.stringify(body.status)}, not "success"`);
  const data = body.data;
  if (!isRecord(data)) throw new MatrixShapeError('"data" is missing');
  if (data.resultType !== 'matrix') {
    throw new MatrixShapeError(`"data.resultType" is ${JSON.stringify(data.resultType)}, expected "matrix"`);
  }
  if (!Array.isArray(data.result)) throw new MatrixShapeError('"data.result" is not a list');
  const warnings = Array.isArray(body.warnings) ? body.warnings.filter((w): w is string => typeof w === 'string') : [];
  return { result: data.result, warnings };
}

/** Checks one entry of `data.result` (`{metric, values: [[seconds, "value"], ...]}`), at `index`. */
export function readMatrixEntry(entry: unknown, index: number): MatrixSeries {
  if (!isRecord(entry) || !isRecord(entry.metric) || !Array.isArray(entry.values)) {
    throw new MatrixShapeError(`"data.result[${index}]" lacks "metric" or "values"`);
  }
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(entry.metric)) {
    if (typeof value !== 'string') throw new MatrixShapeError(`"data.result[${index}].metric.${name}" is not a string`);
    labels[name] = value;
  }
  const pairs: unknown[] = entry.values;
  const timestampsSeconds: number[] = new Array<number>(pairs.length);
  const values: string[] = new Array<string>(pairs.length);
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i];
    if (!Array.isArray(pair) || typeof pair[0] !== 'number' || typeof pair[1] !== 'string') {
      throw new MatrixShapeError(`"data.result[${index}].values[${i}]" is not [seconds, "value"]`);
    }
    timestampsSeconds[i] = pair[0];
    values[i] = pair[1];
  }
  return { labels, timestampsSeconds, values };
}

/** Checks the shape of a whole successful answer; throws {@link MatrixShapeError} saying what is off. */
export function readMatrix(body: unknown): QueryRangeSuccess {
  const { result, warnings } = readMatrixFrame(body);
  return { series: result.map((entry, index) => readMatrixEntry(entry, index)), warnings };
}
