import { InputError } from '../errors.js';

/** A CSV cell, line or header that cannot be read as a numeric table. Names line and column. */
export class CsvError extends InputError {
  override name = 'CsvError';
}

/** A numeric column of a {@link CsvTable}. */
export interface CsvColumn {
  readonly name: string;
  readonly values: Float64Array;
}

/** The `timestamp` column: as written, and as epoch milliseconds. */
export interface CsvTimestamps {
  readonly text: readonly string[];
  readonly epochMs: Float64Array;
}

/** A CSV file of numbers with a header row. */
export interface CsvTable {
  /** Every header name, in file order. */
  readonly header: readonly string[];
  /** Number of data rows (blank lines are skipped). */
  readonly rows: number;
  /** Every column except the timestamp column, in header order; all cells finite numbers. */
  readonly columns: readonly CsvColumn[];
  /** The timestamp column, when the header has one; null otherwise. */
  readonly timestamp: CsvTimestamps | null;
  /** 1-based line number in the file of each data row, for messages about a row. */
  readonly lineNumbers: Int32Array;
}

/** Options of {@link parseNumericCsv}. */
export interface CsvOptions {
  /** Named at the start of every error message, e.g. the file name. */
  source?: string;
  /** Name of the column read as timestamps instead of numbers (default `timestamp`). */
  timestampColumn?: string;
}

// A plain decimal number. Number() alone would take '' and '  ' as 0 and '0x1A' as 26.
const numberPattern = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
// ISO 8601 date-time, or NAB's 'YYYY-MM-DD HH:MM:SS'. Without an offset it is taken as UTC, so
// a file means the same on every machine.
const dateTimePattern =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
/** Epoch numbers below this are seconds (1e11 s is the year 5138), above it milliseconds (1e11 ms is 1973). */
const secondsBelow = 1e11;

function quoteCell(cell: string): string {
  return `'${cell.length > 40 ? `${cell.slice(0, 40)}...` : cell}'`;
}

/** Splits one line into fields; a field may be wrapped in double quotes, with "" for a quote. */
function splitLine(line: string, where: () => string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const close = line.indexOf('"', i);
        if (close < 0) throw new CsvError(`${where()}: unterminated quoted field`);
        value += line.slice(i, close);
        if (line[close + 1] === '"') {
          value += '"';
          i = close + 2;
        } else {
          i = close + 1;
          break;
        }
      }
      while (line[i] === ' ' || line[i] === '\t') i++;
      fields.push(value);
      if (i >= line.length) return fields;
      if (line[i] !== ',') throw new CsvError(`${where()}: unexpected text after a quoted field`);
      i++;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        fields.push(line.slice(i).trim());
        return fields;
      }
      fields.push(line.slice(i, comma).trim());
      i = comma + 1;
    }
  }
}

/**
 * Parses a timestamp cell to epoch milliseconds: a number (epoch seconds, or milliseconds when
 * 1e11 or more), an ISO 8601 date-time, or `YYYY-MM-DD HH:MM:SS` (UTC unless an offset is given).
 * Returns NaN when the cell is none of these.
 */
export function parseTimestamp(cell: string): number {
  if (numberPattern.test(cell)) {
    const value = Number(cell);
    if (!Number.isFinite(value)) return Number.NaN;
    return Math.abs(value) < secondsBelow ? value * 1000 : value;
  }
  const match = dateTimePattern.exec(cell);
  if (!match) return Number.NaN;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second) + Number(`0.${fraction || '0'}`) * 1000;
  // Date.UTC rolls 2023-02-30 over into March; a date that does not round-trip is not a date.
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== hour ||
    check.getUTCMinutes() !== minute ||
    check.getUTCSeconds() !== second
  ) {
    return Number.NaN;
  }
  if (zone === undefined || zone.toUpperCase() === 'Z') return ms;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  return ms - sign * offsetMinutes * 60_000;
}

/**
 * Reads a CSV of numbers with a header row. Every column but the timestamp column must hold a
 * finite decimal number in every row; the timestamp column, when present, holds epoch seconds or
 * milliseconds or date-times. Handles CRLF, a UTF-8 byte order mark, a trailing newline, blank
 * lines and double-quoted fields. Any problem throws a {@link CsvError} naming the line number
 * and column, e.g. `line 7, column 'value': 'abc' is not a number`.
 */
export function parseNumericCsv(text: string, options: CsvOptions = {}): CsvTable {
  const prefix = options.source !== undefined ? `${options.source}: ` : '';
  const timestampColumn = options.timestampColumn ?? 'timestamp';
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split(/\r?\n|\r/);
  const headerIndex = lines.findIndex((line) => line.trim() !== '');
  if (headerIndex < 0) throw new CsvError(`${prefix}empty file: expected a header row`);
  const header = splitLine(lines[headerIndex]!, () => `${prefix}line ${headerIndex + 1} (header)`);
  const seen = new Map<string, number>();
  header.forEach((name, index) => {
    if (name === '') throw new CsvError(`${prefix}line ${headerIndex + 1} (header): column ${index + 1} has no name`);
    const first = seen.get(name);
    if (first !== undefined) {
      throw new CsvError(`${prefix}line ${headerIndex + 1} (header): duplicate column '${name}' (columns ${first + 1} and ${index + 1})`);
    }
    seen.set(name, index);
  });
  const timestampIndex = seen.get(timestampColumn) ?? -1;

  const cells: string[][] = [];
  const lineNumbers: number[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const lineNumber = i + 1;
    const fields = splitLine(line, () => `${prefix}line ${lineNumber}`);
    if (fields.length !== header.length) {
      throw new CsvError(`${prefix}line ${lineNumber}: ${fields.length} fields, but the header has ${header.length}`);
    }
    cells.push(fields);
    lineNumbers.push(lineNumber);
  }

  const rows = cells.length;
  const columns: CsvColumn[] = [];
  let timestamp: CsvTimestamps | null = null;
  header.forEach((name, c) => {
    if (c === timestampIndex) {
      const textValues: string[] = [];
      const epochMs = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        const cell = cells[r]![c]!;
        const ms = parseTimestamp(cell);
        if (Number.isNaN(ms)) {
          throw new CsvError(
            `${prefix}line ${lineNumbers[r]}, column '${name}': ${quoteCell(cell)} is not a timestamp (epoch seconds or milliseconds, or a date-time such as 2014-02-14 14:30:00)`,
          );
        }
        textValues.push(cell);
        epochMs[r] = ms;
      }
      timestamp = { text: textValues, epochMs };
      return;
    }
    const values = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const cell = cells[r]![c]!;
      if (cell === '') throw new CsvError(`${prefix}line ${lineNumbers[r]}, column '${name}': empty cell`);
      const value = numberPattern.test(cell) ? Number(cell) : Number.NaN;
      if (Number.isNaN(value)) {
        throw new CsvError(`${prefix}line ${lineNumbers[r]}, column '${name}': ${quoteCell(cell)} is not a number`);
      }
      if (!Number.isFinite(value)) {
        throw new CsvError(`${prefix}line ${lineNumbers[r]}, column '${name}': ${quoteCell(cell)} is out of range`);
      }
      values[r] = value;
    }
    columns.push({ name, values });
  });
  return { header, rows, columns, timestamp, lineNumbers: Int32Array.from(lineNumbers) };
}
