/**
 * The backtest's input file: a CSV with a header and the columns `timestamp` and `value`, read
 * with lib/csv and checked for order. Errors name the line and the column.
 */
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { CsvError, parseNumericCsv } from '../csv/index.js';
import { InputError, errorMessage } from '../errors.js';

/** Where `readCsvInput` reads from: paths are relative to `cwd`; `-` is `readStdin`. */
export interface CsvInputDeps {
  cwd: string;
  /** Whole standard input. */
  readStdin: () => Promise<string>;
}

/** The text of one input and how errors name it (the path as given, or `standard input`). */
export interface CsvInputText {
  text: string;
  source: string;
}

/** One series read from the CSV: timestamps as written (for the output), in ms, and values. */
export interface CsvSeries {
  timestampText: readonly string[];
  timestampsMs: Float64Array;
  values: Float64Array;
}

/** Reads `input` (a path, or `-` for standard input); an unreadable file is an InputError. */
export async function readCsvInput(input: string, deps: CsvInputDeps): Promise<CsvInputText> {
  if (input === '-') return { text: await deps.readStdin(), source: 'standard input' };
  const path = resolvePath(deps.cwd, input);
  try {
    return { text: await readFile(path, 'utf8'), source: input };
  } catch (error) {
    throw new InputError(`backtest: cannot read ${input}: ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * The header's column names and line, read before the rows so a missing column is reported as
 * such (not as a cell of the wrong column that fails to parse). Quotes around names are removed.
 */
function headerOf(text: string): { names: string[]; line: number } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  const index = lines.findIndex((line) => line.trim() !== '');
  if (index < 0) return { names: [], line: 1 };
  const names = lines[index]!.split(',').map((name) => name.trim().replace(/^"(.*)"$/, '$1'));
  return { names, line: index + 1 };
}

/** The `timestamp` and `value` columns of the CSV, checked for order; errors name line and column. */
export function parseCsvSeries(text: string, source: string): CsvSeries {
  const header = headerOf(text);
  const missing = ['timestamp', 'value'].filter((name) => !header.names.includes(name));
  if (header.names.length > 0 && missing.length > 0) {
    throw new CsvError(
      `${source}: line ${header.line} (header): missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(' and ')} (the header has ${header.names.map((h) => `'${h}'`).join(', ')}; expected timestamp,value)`,
    );
  }
  const table = parseNumericCsv(text, { source });
  if (table.rows === 0) throw new CsvError(`${source}: no data rows after the header`);
  const timestamp = table.timestamp!;
  const values = table.columns.find((c) => c.name === 'value')!.values;
  for (let r = 1; r < table.rows; r++) {
    if (timestamp.epochMs[r]! < timestamp.epochMs[r - 1]!) {
      throw new CsvError(
        `${source}: line ${table.lineNumbers[r]}, column 'timestamp': '${timestamp.text[r]}' is before '${timestamp.text[r - 1]}' on line ${table.lineNumbers[r - 1]} (rows must be in ascending time order)`,
      );
    }
  }
  return { timestampText: timestamp.text, timestampsMs: timestamp.epochMs, values };
}
