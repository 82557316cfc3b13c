import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../functions/cli.js';
import { captureIo, type CapturedIo } from '../../support/cli.js';
import { seriesName as formatSeriesName } from '../../../lib/series/index.js';
import { backtestSeries } from '../../../lib/backtest/replay.js';
import { defaultDetector } from '../../../lib/config/defaults.js';
import { noisySeries } from '../detect/series-fixtures.js';
import { windowPoints } from '../../../lib/detect/window.js';

function capture(cwd: string, stdin = '', env: Record<string, string> = {}, stderrIsTty = false): CapturedIo {
  return captureIo({ cwd, stdin, env, stderrIsTty });
}

/** NAB-style `YYYY-MM-DD HH:MM:SS` (UTC) for a timestamp. */
function nabTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

// 5-minute data, 100 rows, a clear incident at rows 80..81.
const points = noisySeries(100, { seed: 21, stepMs: 300_000 });
points.values[80] = 400;
points.values[81] = 420;
const csvLines = Array.from(points.values, (v, i) => `${nabTime(points.timestampsMs[i]!)},${v}`);
const inputCsv = `timestamp,value\n${csvLines.join('\n')}\n`;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aiops-backtest-'));
  await writeFile(join(dir, 'in.csv'), inputCsv);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function parseOutput(text: string): { header: string; rows: string[][] } {
  const [header, ...lines] = text.trimEnd().split('\n');
  return { header: header!, rows: lines.map((line) => line.split(',')) };
}

describe('aiops-detector backtest', () => {
  it('writes timestamp,value,anomaly_score,alert for every row, as the library replay computes them', async () => {
    // Prepare
    const cli = capture(dir);

    // Act
    const code = await main(['backtest', '--input', 'in.csv', '--output', 'out.csv'], cli.io);

    // Assess
    const expected = await backtestSeries(points, defaultDetector());
    const fired = expected.rows.filter((r) => r.alert === 'firing').length;
    expect(cli.stderr()).toMatch(
      new RegExp(`100 rows \\(71 scored\\), ${fired} alerts? fired; detector 'default', window ${windowPoints(defaultDetector())} points at 300 s spacing`),
    );
    expect(code).toBe(0);
    const { header, rows } = parseOutput(await readFile(join(dir, 'out.csv'), 'utf8'));
    expect(header).toBe('timestamp,value,anomaly_score,alert');
    expect(rows).toHaveLength(100);
    rows.forEach(([timestamp, value, score, alert], i) => {
      expect(timestamp).toBe(nabTime(points.timestampsMs[i]!));
      expect(Number(value)).toBe(points.values[i]);
      expect(Number(score)).toBeCloseTo(expected.rows[i]!.anomalyScore, 6);
      expect(Number(score) >= 0 && Number(score) <= 1).toBe(true);
      expect(alert).toBe(expected.rows[i]!.alert);
    });
    expect(rows.slice(0, 29).every(([, , score, alert]) => score === '0' && alert === 'none')).toBe(true);
    expect(rows[80]![3]).toBe('firing');
  });

  it('reads standard input and writes standard output with --input - --output -, byte for byte the same', async () => {
    const fromFile = capture(dir);
    await main(['backtest', '--input', 'in.csv', '--output', 'again.csv'], fromFile.io);
    const piped = capture(dir, inputCsv);

    const code = await main(['backtest', '--input', '-', '--output', '-'], piped.io);

    expect(code).toBe(0);
    expect(piped.stdout()).toBe(await readFile(join(dir, 'again.csv'), 'utf8'));
  });

  it('is deterministic: two runs write identical files', async () => {
    await main(['backtest', '--input', 'in.csv', '--output', 'a.csv'], capture(dir).io);
    await main(['backtest', '--input', 'in.csv', '--output', 'b.csv'], capture(dir).io);

    expect(await readFile(join(dir, 'b.csv'), 'utf8')).toBe(await readFile(join(dir, 'a.csv'), 'utf8'));
  });

  it('takes the settings of the named detector of a config', async () => {
    // Prepare
    await writeFile(
      join(dir, 'config.yaml'),
      [
        'detectors:',
        '  - name: latency',
        '    query: http_latency_seconds',
        '    windowMinutes: 40',
        '    minPoints: 20',
        '  - name: errors',
        '    query: errors_total',
        'alerts:',
        '  resolveAfter: 3',
      ].join('\n'),
    );
    const ambiguous = capture(dir);
    const named = capture(dir);

    // Act
    const ambiguousCode = await main(['backtest', '--input', 'in.csv', '--output', '-', '--config', 'config.yaml'], ambiguous.io);
    const namedCode = await main(
      ['backtest', '--input', 'in.csv', '--output', '-', '--config', 'config.yaml', '--detector', 'latency'],
      named.io,
    );

    // Assess
    expect(ambiguousCode).toBe(2);
    expect(ambiguous.stderr()).toMatch(/2 detectors \(latency, errors\): choose one with --detector NAME/);
    expect(namedCode).toBe(0);
    expect(named.stderr()).toMatch(/detector 'latency', window 41 points/);
    const { rows } = parseOutput(named.stdout());
    expect(rows.slice(0, 19).every(([, , score]) => score === '0')).toBe(true);
    expect(Number(rows[19]![2])).toBeGreaterThan(0);
  });

  it.each([
    ['a missing column', 'time,value\n2024-01-01 00:00:00,1\n', /line 1 \(header\): missing column 'timestamp'/],
    [
      'a value that is not a number',
      'timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,2\n2024-01-01 00:10:00,abc\n',
      /line 4, column 'value': 'abc' is not a number/,
    ],
    [
      'timestamps out of order',
      'timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:10:00,2\n2024-01-01 00:05:00,3\n',
      /line 4, column 'timestamp': '2024-01-01 00:05:00' is before '2024-01-01 00:10:00' on line 3/,
    ],
    ['a timestamp that is not one', 'timestamp,value\nyesterday,1\n', /line 2, column 'timestamp': 'yesterday' is not a timestamp/],
    ['no data rows', 'timestamp,value\n', /no data rows/],
  ])('rejects %s with exit code 2 and a message naming where', async (_what, csv, message) => {
    const cli = capture(dir, csv);

    const code = await main(['backtest', '--input', '-', '--output', '-'], cli.io);

    expect(code).toBe(2);
    expect(cli.stderr()).toMatch(message);
    expect(cli.stdout()).toBe('');
  });

  it('says which option is missing, and what it does not know', async () => {
    const missing = capture(dir);
    const unknown = capture(dir);

    expect(await main(['backtest', '--input', 'in.csv'], missing.io)).toBe(2);
    expect(await main(['backtest', '--input', 'in.csv', '--output', '-', '--window', '5'], unknown.io)).toBe(2);

    expect(missing.stderr()).toMatch(/--output OUT\.csv is required/);
    expect(unknown.stderr()).toMatch(/--window/);
  });

  it('says so when the input file cannot be read', async () => {
    const cli = capture(dir);

    const code = await main(['backtest', '--input', 'nope.csv', '--output', '-'], cli.io);

    expect(code).toBe(2);
    expect(cli.stderr()).toMatch(/cannot read nope\.csv/);
  });
});

describe('aiops-detector backtest: progress, report, and the flags of both modes', () => {
  // 400 rows: long enough (about a second) for the 100 ms progress throttle to draw.
  const long = noisySeries(400, { seed: 5, stepMs: 60_000 });
  const longCsv = `timestamp,value\n${Array.from(long.values, (v, i) => `${long.timestampsMs[i]! / 1000},${v}`).join('\n')}\n`;

  it('draws a \\r progress line on a terminal and clears it; writes none when stderr is not one', async () => {
    // Prepare
    const tty = capture(dir, longCsv, {}, true);
    const notTty = capture(dir, longCsv, {}, false);

    // Act
    const ttyCode = await main(['backtest', '--input', '-', '--output', '-'], tty.io);
    const notTtyCode = await main(['backtest', '--input', '-', '--output', '-'], notTty.io);

    // Assess
    expect([ttyCode, notTtyCode]).toEqual([0, 0]);
    const updates = tty.stderr().split('\r').filter((part) => /rows \d+%/.test(part));
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.every((u) => /\d+\/400 rows \d+% [\d,]+ rows\/s ETA /.test(u))).toBe(true);
    // Cleared before the summary line: the last \r-segment before it is blank.
    const beforeSummary = tty.stderr().slice(0, tty.stderr().indexOf('backtest: 400 rows'));
    expect(beforeSummary.endsWith('\r')).toBe(true);
    expect(beforeSummary.split('\r').at(-2)?.trim()).toBe('');
    expect(notTty.stderr()).not.toContain('\r');
    expect(notTty.stderr()).not.toMatch(/rows\/s/);
    // Progress never reaches standard output.
    expect(tty.stdout()).toBe(notTty.stdout());
  });

  it('writes an HTML report with --report, alone or beside --output', async () => {
    const both = capture(dir);
    const reportOnly = capture(dir);

    const bothCode = await main(['backtest', '--input', 'in.csv', '--output', 'with-report.csv', '--report', 'r1.html'], both.io);
    const reportOnlyCode = await main(['backtest', '--input', 'in.csv', '--report', 'r2.html'], reportOnly.io);

    expect([bothCode, reportOnlyCode]).toEqual([0, 0]);
    const html = await readFile(join(dir, 'r1.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.match(/<svg [^>]*class="series-chart"/g)).toHaveLength(1);
    expect(html).toContain('in.csv');
    expect(reportOnly.stdout()).toBe('');
    expect((await readFile(join(dir, 'r2.html'), 'utf8')).length).toBeGreaterThan(1_000);
  });

  it.each([
    [['--input', 'in.csv', '--prometheus', 'http://127.0.0.1:9', '--output', '-'], /--input and --prometheus cannot be used together/],
    [['--input', 'in.csv', '--query', 'up', '--output', '-'], /--query only applies with --prometheus/],
    [['--input', 'in.csv', '--start', 'now-1h', '--output', '-'], /--start only applies with --prometheus/],
    [['--prometheus', 'http://127.0.0.1:9', '--start', 'now-1h', '--end', 'now', '--output', '-'], /--query PROMQL is required/],
    [['--prometheus', 'http://127.0.0.1:9', '--query', 'up', '--end', 'now', '--output', '-'], /--start TIME is required/],
    [['--prometheus', 'http://127.0.0.1:9', '--query', 'up', '--start', 'now-1h', '--output', '-'], /--end TIME is required/],
    [
      ['--prometheus', 'http://127.0.0.1:9', '--query', 'up', '--start', '2024-05-02T00:00:00Z', '--end', '2024-05-01T00:00:00Z', '--output', '-'],
      /--start \(2024-05-02T00:00:00Z\) must be before --end \(2024-05-01T00:00:00Z\)/,
    ],
    [['--prometheus', 'http://127.0.0.1:9', '--query', 'up', '--start', 'yesterday', '--end', 'now', '--output', '-'], /--start 'yesterday' is not a time/],
    [['--prometheus', 'http://127.0.0.1:9', '--query', 'up', '--start', 'now-1h', '--end', '2024-13-01T00:00:00Z', '--output', '-'], /--end '2024-13-01T00:00:00Z' is not a time/],
    [['--prometheus', 'http://127.0.0.1:9', '--query', 'up', '--start', 'now-1h', '--end', 'now', '--step', 'fast', '--output', '-'], /--step 'fast' is not a duration/],
    [['--prometheus', 'not a url', '--query', 'up', '--start', 'now-1h', '--end', 'now', '--output', '-'], /--prometheus must be an http:\/\/ or https:\/\/ URL/],
    [['--query', 'up', '--start', 'now-1h', '--end', 'now', '--output', '-'], /--prometheus URL is required/],
    [['--prometheus', 'http://127.0.0.1:9', '--query', 'up', '--start', 'now-1h', '--end', 'now'], /--output OUT\.csv is required \(or --report OUT\.html/],
    [['--output', '-'], /--input FILE\.csv is required \(or --prometheus URL/],
  ])('rejects %j with exit code 2 and names the flag', async (args, message) => {
    const cli = capture(dir);

    const code = await main(['backtest', ...args], cli.io);

    expect(code).toBe(2);
    expect(cli.stderr()).toMatch(message);
    expect(cli.stdout()).toBe('');
  });

  it('lists both modes, the report and the exit codes in --help', async () => {
    const cli = capture(dir);

    const code = await main(['backtest', '--help'], cli.io);

    expect(code).toBe(0);
    for (const flag of ['--input', '--prometheus', '--query', '--start', '--end', '--step', '--output', '--report', '--config', '--detector']) {
      expect(cli.stdout()).toContain(flag);
    }
    expect(cli.stdout()).toMatch(/Exit status: 0 .*; 1 .*; 2 /s);
  });
});

describe('backtest series names', () => {
  it('prints labels as Prometheus does: name first, sorted, escaped', () => {
    expect(formatSeriesName({ job: 'node', __name__: 'cpu', instance: 'a:9100' })).toBe('cpu{instance="a:9100",job="node"}');
    expect(formatSeriesName({ route: 'say "hi"\\now' })).toBe('{route="say \\"hi\\"\\\\now"}');
    expect(formatSeriesName({ __name__: 'up' })).toBe('up');
    expect(formatSeriesName({})).toBe('{}');
  });
});
