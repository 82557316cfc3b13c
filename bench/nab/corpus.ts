/**
 * Loads the NAB development subset (../shared/nab): the file list, the `timestamp,value`
 * data files, the labelled windows and the published detectors' reference scores.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../lib/errors.js';
import { parseNabTimestamp } from './scorer.js';

/** ../shared/nab, found from this file: <repo>/bench/nab -> <repo>/../shared/nab. */
export const DEFAULT_NAB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/nab');

/** One data file: its rows and its labelled windows. */
export interface NabDataFile {
  /** `category/name.csv` as listed in files.txt. */
  readonly name: string;
  readonly timestampsMs: Float64Array;
  readonly values: Float64Array;
  /** Timestamps as written in the file, for output CSVs. */
  readonly timestampTexts: readonly string[];
  readonly windows: readonly (readonly [number, number])[];
}

/** Fails with a message that says where the corpus was expected and how to get it. */
export function assertNabDir(nabDir: string): void {
  const marker = path.join(nabDir, 'files.txt');
  if (!existsSync(marker)) {
    throw new InputError(
      `NAB corpus not found: ${marker} does not exist. The NAB development subset must sit next to the repository as ../shared/nab (files.txt, data/, windows.json, reference/).`,
    );
  }
}

/** The data files listed in files.txt, in order. */
export function listNabFiles(nabDir: string): string[] {
  assertNabDir(nabDir);
  return readFileSync(path.join(nabDir, 'files.txt'), 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** windows.json: file name -> list of [start, end] timestamps, parsed to epoch ms (UTC). */
export function readNabWindows(nabDir: string): Map<string, (readonly [number, number])[]> {
  const file = path.join(nabDir, 'windows.json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InputError(`cannot read NAB windows from ${file}`, { cause: error });
  }
  return parseNabWindows(parsed, file);
}

/**
 * The content of a windows.json (file name -> list of [start, end] timestamp texts), parsed to
 * epoch ms (UTC); `source` names where it came from in errors. The test fixture
 * (test/fixtures/nab) carries the same object and goes through here too.
 */
export function parseNabWindows(parsed: unknown, source: string): Map<string, (readonly [number, number])[]> {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InputError(`${source}: expected an object of file name -> windows`);
  }
  const windows = new Map<string, (readonly [number, number])[]>();
  for (const [name, list] of Object.entries(parsed as Record<string, unknown>)) {
    if (!Array.isArray(list)) throw new InputError(`${source}: windows of ${name} are not a list`);
    windows.set(
      name,
      list.map((pair: unknown, k) => {
        if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
          throw new InputError(`${source}: window ${k + 1} of ${name} is not a [start, end] pair of timestamps`);
        }
        return [parseNabTimestamp(pair[0]), parseNabTimestamp(pair[1])] as const;
      }),
    );
  }
  return windows;
}

/** A two-column CSV with a header (`timestamp,<column>`): texts and numbers. */
export function readTwoColumnCsv(file: string, column: string): { timestamps: string[]; numbers: Float64Array } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${file}`, { cause: error });
  }
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const at = header.indexOf(column);
  if (header[0] !== 'timestamp' || at < 0) {
    throw new InputError(`${file}: expected a header "timestamp,${column}", got "${lines[0] ?? ''}"`);
  }
  const timestamps: string[] = [];
  const numbers = new Float64Array(lines.length - 1);
  for (let i = 1; i < lines.length; i += 1) {
    const cells = (lines[i] as string).split(',');
    const value = Number(cells[at]);
    if (cells[at] === undefined || cells[at].trim() === '' || !Number.isFinite(value)) {
      throw new InputError(`${file}: line ${i + 1}: "${cells[at] ?? ''}" is not a number`);
    }
    timestamps.push((cells[0] as string).trim());
    numbers[i - 1] = value;
  }
  return { timestamps, numbers };
}

/** Reads one data file and attaches its windows. */
export function readNabDataFile(
  nabDir: string,
  name: string,
  windows: Map<string, (readonly [number, number])[]>,
): NabDataFile {
  const fileWindows = windows.get(name);
  if (fileWindows === undefined) throw new InputError(`${name} has no entry in ${path.join(nabDir, 'windows.json')}`);
  const { timestamps, numbers } = readTwoColumnCsv(path.join(nabDir, 'data', name), 'value');
  return {
    name,
    timestampsMs: Float64Array.from(timestamps, parseNabTimestamp),
    values: numbers,
    timestampTexts: timestamps,
    windows: fileWindows,
  };
}

/** Anomaly scores a published detector gave one file (reference/<detector>/<name>). */
export function readReferenceScores(nabDir: string, detector: string, name: string, rowCount: number): Float64Array {
  const file = path.join(nabDir, 'reference', detector, name);
  const { numbers } = readTwoColumnCsv(file, 'anomaly_score');
  if (numbers.length !== rowCount) {
    throw new InputError(`${file}: ${numbers.length} scores for ${rowCount} data rows`);
  }
  return numbers;
}

/** One row of the published table in ../shared/nab/README.md. */
export interface PublishedScore {
  readonly detector: string;
  readonly standard: number;
  readonly lowFp: number;
  readonly lowFn: number;
}

/** Parses the published detectors' table (`| detector | standard | low-FP | low-FN |`). */
export function readPublishedScores(nabDir: string): PublishedScore[] {
  const text = readFileSync(path.join(nabDir, 'README.md'), 'utf8');
  const rows: PublishedScore[] = [];
  for (const line of text.split(/\r?\n/)) {
    const cells = line.split('|').map((c) => c.trim());
    // "| a | b | c | d |" splits into ['', a, b, c, d, ''].
    if (cells.length !== 6 || cells[0] !== '' || cells[5] !== '') continue;
    const numbers = cells.slice(2, 5).map(Number);
    if (cells.slice(2, 5).some((c) => c === '') || numbers.some((n) => !Number.isFinite(n))) continue;
    rows.push({
      detector: (cells[1] as string).replace(/^\*(.*)\*$/, '$1'),
      standard: numbers[0] as number,
      lowFp: numbers[1] as number,
      lowFn: numbers[2] as number,
    });
  }
  return rows;
}

/** One of the two halves of the subset. */
export type NabHalf = 'a' | 'b';

/**
 * The half of the subset a file belongs to, for tuning on one half and reporting on the other:
 * within each category (the folder), files sorted by name go to a, b, a, b, ... so both halves
 * hold every kind of data. Fixed by the names alone, so a half is the same in every run.
 */
export function nabHalfOf(names: readonly string[], name: string): NabHalf {
  const category = path.dirname(name);
  const siblings = names.filter((n) => path.dirname(n) === category).sort();
  return siblings.indexOf(name) % 2 === 0 ? 'a' : 'b';
}
