/**
 * `aiops-detector backtest --prometheus` against a real Prometheus (the Debian package, history
 * backfilled with promtool): every series replayed on its own, causal scores, the alert where
 * the spike is, and the scores `run` itself gets for the same windows. Run in-process through
 * functions/cli.ts main().
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envDetectorName } from '../../lib/config/env-config.js';
import { runCli } from '../support/cli.js';
import { Mulberry32 } from '../../lib/forest/index.js';
import { freePort, startPrometheus, type RunningPrometheus, type SeriesInput } from '../support/prometheus-server.js';

const metric = 'app_latency_ms';
const instances = ['a', 'b', 'c'] as const;
const spiky = 'b';
const baseS = Date.UTC(2024, 4, 1) / 1000;
const minutes = 300; // 00:00 to 04:59, one sample a minute
const spikeMinute = 200; // 03:20, three minutes high
const iso = (minute: number): string => new Date((baseS + minute * 60) * 1000).toISOString().replace('.000Z', 'Z');

/** Seeded Gaussian noise around 100 (sd 5); the spiky instance jumps by 80 for three minutes. */
function history(instance: string, seed: number): SeriesInput {
  const rng = new Mulberry32(seed);
  const samples: [number, number][] = [];
  for (let m = 0; m < minutes; m++) {
    const noise = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    const spike = instance === spiky && m >= spikeMinute && m < spikeMinute + 3 ? 80 : 0;
    samples.push([baseS + m * 60, Math.round((100 + 5 * noise + spike) * 1000) / 1000]);
  }
  return { labels: { __name__: metric, job: 'api', instance }, samples };
}

const series = instances.map((instance, i) => history(instance, 100 + i));
const nameOf = (instance: string): string => `${metric}{instance="${instance}",job="api"}`;

interface Cli {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(argv: string[], cwd: string): Promise<Cli> {
  return runCli(argv, { cwd });
}

interface OutRow {
  series: string;
  timestamp: string;
  value: number;
  score: number;
  alert: string;
}

/** The series CSV: the first cell is quoted (labels hold quotes and commas), the rest plain. */
function parseSeriesCsv(text: string): { header: string; rows: OutRow[] } {
  const [header, ...lines] = text.trimEnd().split('\n');
  const rows = lines.map((line) => {
    const match = /^"((?:[^"]|"")*)",([^,]+),([^,]+),([^,]+),([^,]+)$/.exec(line);
    if (!match) throw new Error(`unexpected CSV line: ${line}`);
    return {
      series: match[1]!.replace(/""/g, '"'),
      timestamp: match[2]!,
      value: Number(match[3]),
      score: Number(match[4]),
      alert: match[5]!,
    };
  });
  return { header: header!, rows };
}

let prometheus: RunningPrometheus;
let dir: string;

beforeAll(async () => {
  prometheus = await startPrometheus({ series });
  dir = await mkdtemp(join(tmpdir(), 'aiops-backtest-prom-'));
  await writeFile(
    join(dir, 'config.yaml'),
    ['prometheus:', `  url: ${prometheus.url}`, 'detectors:', '  - name: latency', `    query: ${metric}`, ''].join('\n'),
  );
});

afterAll(async () => {
  await prometheus?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('aiops-detector backtest --prometheus', () => {
  const startMinute = 90; // 01:30: the hour before it is read as the first window
  const endMinute = minutes - 1;

  it('replays every series on its own, scores from --start on against full windows, and fires at the spike', async () => {
    // Act
    const result = await cli(
      ['backtest', '--prometheus', prometheus.url, '--query', metric, '--start', iso(startMinute), '--end', String(baseS + endMinute * 60), '--output', 'out.csv'],
      dir,
    );

    // Assess
    expect(result.stderr).toMatch(/3 series, 630 rows/);
    // The window before --start was read: every written row, the first included, has a verdict.
    expect(result.stderr).toMatch(/630 rows \(630 scored\)/);
    expect(result.code).toBe(0);
    // Without a config, the detector is named as `run` with PROM_QUERY=<the query> names it.
    expect(result.stderr).toContain(`detector '${envDetectorName(metric)}'`);
    const { header, rows } = parseSeriesCsv(await readFile(join(dir, 'out.csv'), 'utf8'));
    expect(header).toBe('series,timestamp,value,anomaly_score,alert');
    expect([...new Set(rows.map((r) => r.series))]).toEqual(instances.map(nameOf));
    for (const [i, instance] of instances.entries()) {
      const own = rows.filter((r) => r.series === nameOf(instance));
      // One row per minute from --start to --end, with the values Prometheus holds.
      expect(own.map((r) => r.timestamp)).toEqual(Array.from({ length: endMinute - startMinute + 1 }, (_, k) => iso(startMinute + k)));
      expect(own.map((r) => r.value)).toEqual(series[i]!.samples.slice(startMinute).map(([, v]) => v));
      expect(own.every((r) => r.score >= 0 && r.score <= 1)).toBe(true);
      const fired = own.filter((r) => r.alert === 'firing').map((r) => r.timestamp);
      if (instance === spiky) {
        expect(fired).toHaveLength(1);
        expect(fired[0]! >= iso(spikeMinute) && fired[0]! <= iso(spikeMinute + 2)).toBe(true);
      } else {
        expect(fired).toEqual([]);
      }
    }
  });

  it('is causal: a backtest that ends before the spike gives the same rows up to its end', async () => {
    // Prepare
    const cutMinute = spikeMinute - 1;
    const full = await cli(['backtest', '--prometheus', prometheus.url, '--query', metric, '--start', iso(startMinute), '--end', iso(endMinute), '--output', '-'], dir);

    // Act
    const cut = await cli(['backtest', '--prometheus', prometheus.url, '--query', metric, '--start', iso(startMinute), '--end', iso(cutMinute), '--output', '-'], dir);

    // Assess
    expect([full.code, cut.code]).toEqual([0, 0]);
    const fullRows = parseSeriesCsv(full.stdout).rows;
    const cutRows = parseSeriesCsv(cut.stdout).rows;
    expect(cutRows).toHaveLength(3 * (cutMinute - startMinute + 1));
    expect(cutRows).toEqual(fullRows.filter((r) => r.timestamp <= iso(cutMinute)));
  });

  it('scores each row as `run` scores the window ending there', async () => {
    // Prepare: the backtest with the config `run` uses (its detector name seeds the forests).
    const backtest = await cli(
      ['backtest', '--config', 'config.yaml', '--start', iso(startMinute), '--end', iso(endMinute), '--output', '-'],
      dir,
    );
    const rows = parseSeriesCsv(backtest.stdout).rows;

    for (const minute of [spikeMinute, 150]) {
      // Act
      const run = await cli(['run', '--config', 'config.yaml', '--dry-run', '--now', iso(minute)], dir);

      // Assess
      expect(run.code).toBe(0);
      const lines = run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { series?: Record<string, string>; score?: number; summary?: boolean })
        .filter((line) => line.summary !== true);
      expect(lines).toHaveLength(3);
      for (const line of lines) {
        const row = rows.find((r) => r.series === nameOf(line.series!.instance!) && r.timestamp === iso(minute));
        expect(row?.score).toBeCloseTo(line.score!, 6);
      }
    }
  });

  it("passes Prometheus' own error text on for a query it rejects, with exit code 2", async () => {
    const result = await cli(
      ['backtest', '--prometheus', prometheus.url, '--query', `rate(${metric}[5m]`, '--start', iso(startMinute), '--end', iso(endMinute), '--output', '-'],
      dir,
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bad_data: .*parse error/);
    expect(result.stdout).toBe('');
  });

  it('exits 1 when the query matches no series in the range, and says so', async () => {
    const result = await cli(
      ['backtest', '--prometheus', prometheus.url, '--query', 'no_such_metric', '--start', iso(startMinute), '--end', iso(endMinute), '--output', '-'],
      dir,
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/"no_such_metric" returned no series from 2024-05-01T01:30:00Z to 2024-05-01T04:59:00Z/);
  });

  it("exits 1 when Prometheus cannot be reached, with the config's retries, and --prometheus overriding its URL", async () => {
    // Prepare: nothing listens on this port; the config says not to retry.
    const port = await freePort();
    await writeFile(join(dir, 'no-retry.yaml'), ['prometheus:', `  url: ${prometheus.url}`, '  retries: 0', 'detectors:', '  - name: latency', `    query: ${metric}`, ''].join('\n'));

    // Act
    const result = await cli(
      ['backtest', '--config', 'no-retry.yaml', '--prometheus', `http://127.0.0.1:${port}`, '--start', iso(startMinute), '--end', iso(endMinute), '--output', '-'],
      dir,
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}.*connection refused`));
    expect(result.stderr).not.toMatch(/after \d+ attempts/);
  });
});
