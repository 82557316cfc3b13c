import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../functions/cli.js';
import { captureIo, type CapturedIo } from '../../support/cli.js';
import { fitForest, matrixFromColumns, Mulberry32 } from '../../../lib/forest/index.js';

const capture = (options: { cwd: string; stdin?: string }): CapturedIo => captureIo(options);

let dir: string;
const n = 200;
const spike = 137;
const values: number[] = [];
let csv = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aiops-score-'));
  const rng = new Mulberry32(3);
  const lines = ['timestamp,value'];
  for (let i = 0; i < n; i++) {
    const value = i === spike ? 40 : 10 + rng.next() + rng.next();
    values.push(value);
    const stamp = new Date(Date.UTC(2014, 1, 14, 0, i)).toISOString().replace('T', ' ').slice(0, 19);
    lines.push(`${stamp},${value}`);
  }
  csv = `${lines.join('\n')}\n`;
  await writeFile(join(dir, 'series.csv'), csv);
  await writeFile(join(dir, 'values-only.csv'), `value\n${values.join('\n')}\n`);
  await writeFile(join(dir, 'bad.csv'), 'timestamp,value\n2014-02-14 00:00:00,1\n2014-02-14 00:01:00,oops\n');
  await writeFile(join(dir, 'one-row.csv'), 'value\n1\n');
  await writeFile(join(dir, 'only-time.csv'), 'timestamp\n1\n2\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function parseOutput(text: string): { header: string; rows: string[][] } {
  const [header, ...rows] = text.trimEnd().split('\n');
  return { header: header!, rows: rows.map((row) => row.split(',')) };
}

describe('aiops-detector score', () => {
  it('prints a score per input row, in order, equal to the library forest on the non-timestamp columns', async () => {
    // Prepare
    const run = capture({ cwd: dir });
    const expected = fitForest(matrixFromColumns([values]), { trees: 100, maxSamples: 256, seed: 0 }).score(
      matrixFromColumns([values]),
    );

    // Act
    const code = await main(['score', '--input', 'series.csv'], run.io);

    // Assess
    expect(code).toBe(0);
    expect(run.stderr()).toBe('');
    const { header, rows } = parseOutput(run.stdout());
    expect(header).toBe('score');
    expect(rows).toHaveLength(n);
    // Printed with enough digits to read back the same double.
    expect(rows.map((row) => Number(row[0]))).toEqual([...expected]);
    const scores = rows.map((row) => Number(row[0]));
    expect(scores.indexOf(Math.max(...scores))).toBe(spike);
    for (const s of scores) expect(s > 0 && s <= 1).toBe(true);
  });

  it('ignores the timestamp column: same scores as the values alone', async () => {
    const withTime = capture({ cwd: dir });
    const valuesOnly = capture({ cwd: dir });
    await main(['score', '--input', 'series.csv', '--seed', '5'], withTime.io);
    await main(['score', '--input', 'values-only.csv', '--seed', '5'], valuesOnly.io);
    expect(withTime.stdout()).toBe(valuesOnly.stdout());
  });

  it('--contamination adds an anomaly column: 1 for the spike, about c of the rows', async () => {
    const run = capture({ cwd: dir });
    expect(await main(['score', '--input', 'series.csv', '--contamination', '0.01', '--trees', '300'], run.io)).toBe(0);
    const { header, rows } = parseOutput(run.stdout());
    expect(header).toBe('score,anomaly');
    const flagged = rows.flatMap((row, i) => (row[1] === '1' ? [i] : []));
    expect(flagged).toContain(spike);
    expect(flagged.length).toBeLessThanOrEqual(2);
    expect(rows.every((row) => row[1] === '0' || row[1] === '1')).toBe(true);
  });

  it("--contamination auto flags rows scoring above 0.5", async () => {
    const run = capture({ cwd: dir });
    await main(['score', '--input', 'series.csv', '--contamination', 'auto'], run.io);
    const { rows } = parseOutput(run.stdout());
    for (const [score, anomaly] of rows) expect(anomaly).toBe(Number(score) > 0.5 ? '1' : '0');
  });

  it('reads standard input with --input -', async () => {
    const fromStdin = capture({ cwd: dir, stdin: csv });
    const fromFile = capture({ cwd: dir });
    expect(await main(['score', '--input', '-', '--seed', '9'], fromStdin.io)).toBe(0);
    await main(['score', '--input', 'series.csv', '--seed', '9'], fromFile.io);
    expect(fromStdin.stdout()).toBe(fromFile.stdout());
  });

  it('--seed, --trees and --max-samples change the forest; the same flags give the same output', async () => {
    const a = capture({ cwd: dir });
    const b = capture({ cwd: dir });
    const c = capture({ cwd: dir });
    await main(['score', '--input', 'series.csv', '--seed', '1', '--trees', '50', '--max-samples', '64'], a.io);
    await main(['score', '--input', 'series.csv', '--seed', '1', '--trees', '50', '--max-samples', '64'], b.io);
    await main(['score', '--input', 'series.csv', '--seed', '2', '--trees', '50', '--max-samples', '64'], c.io);
    expect(a.stdout()).toBe(b.stdout());
    expect(c.stdout()).not.toBe(a.stdout());
  });

  it.each([
    [['score'], '--input FILE.csv is required'],
    [['score', '--input', 'series.csv', '--bogus'], "Unknown option '--bogus'"],
    [['score', '--input', 'series.csv', 'extra'], "Unexpected argument 'extra'"],
    [['score', '--input'], "Option '--input <value>' argument missing"],
    [['score', '--input', 'series.csv', '--trees', '0'], "--trees must be an integer in [1, 1000000], got '0'"],
    [['score', '--input', 'series.csv', '--trees', 'ten'], "--trees must be an integer in [1, 1000000], got 'ten'"],
    [['score', '--input', 'series.csv', '--max-samples', '1'], '--max-samples must be an integer in [2,'],
    [['score', '--input', 'series.csv', '--seed=-3'], "--seed must be an integer in [0, 4294967295], got '-3'"],
    [['score', '--input', 'series.csv', '--seed', '4294967296'], "--seed must be an integer in [0, 4294967295], got '4294967296'"],
    [['score', '--input', 'series.csv', '--contamination', '0.7'], "--contamination must be 'auto' or a number in (0, 0.5], got '0.7'"],
    [['score', '--input', 'missing.csv'], "cannot read --input 'missing.csv': no such file"],
    [['score', '--input', 'bad.csv'], "bad.csv: line 3, column 'value': 'oops' is not a number"],
    [['score', '--input', 'one-row.csv'], 'one-row.csv: 1 data row; scoring needs at least 2'],
    [['score', '--input', 'only-time.csv'], "only-time.csv: no feature columns"],
  ])('%j exits 2 and says what is wrong', async (argv, message) => {
    const run = capture({ cwd: dir });
    expect(await main(argv, run.io)).toBe(2);
    expect(run.stderr()).toContain(message);
    expect(run.stdout()).toBe('');
  });

  it('--help prints the usage with every flag', async () => {
    const run = capture({ cwd: dir });
    expect(await main(['score', '--help'], run.io)).toBe(0);
    for (const flag of ['--input', '--trees', '--max-samples', '--seed', '--contamination']) {
      expect(run.stdout()).toContain(flag);
    }
  });
});
