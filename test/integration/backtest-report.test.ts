/**
 * `aiops-detector backtest --report` end to end: the CLI (in-process) writes the page for a CSV
 * and for a 3-series Prometheus backtest; headless Debian Chromium opens it with every request
 * but the file itself aborted, and exactly one drawn chart per series must be there.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { Mulberry32 } from '../../lib/forest/index.js';
import { expectChartDrawn, launchChromium, openReportOffline, type ReportChart } from '../support/chromium.js';
import { startPrometheus, type RunningPrometheus, type SeriesInput } from '../support/prometheus-server.js';

const baseS = Date.UTC(2024, 4, 1) / 1000;
const minutes = 240;
const spikeMinute = 180;

/** Seeded noise around 100 (sd 5), one point a minute; +80 for three minutes when `spike`. */
function samples(seed: number, spike: boolean): [number, number][] {
  const rng = new Mulberry32(seed);
  return Array.from({ length: minutes }, (_, m) => {
    const noise = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    const jump = spike && m >= spikeMinute && m < spikeMinute + 3 ? 80 : 0;
    return [baseS + m * 60, Math.round((100 + 5 * noise + jump) * 1000) / 1000];
  });
}

const iso = (minute: number): string => new Date((baseS + minute * 60) * 1000).toISOString();

function cli(argv: string[], cwd: string): Promise<{ code: number; stderr: string }> {
  return runCli(argv, { cwd });
}

/** Opens the page offline and measures every chart on it; also returns every other URL it asked for. */
async function openReport(browser: Browser, file: string): Promise<{ charts: ReportChart[]; attempted: string[]; errors: string[] }> {
  const opened = await openReportOffline(browser, file);
  await opened.page.close();
  return { charts: opened.charts, attempted: opened.attempted.filter((url) => url !== opened.fileUrl), errors: opened.consoleErrors };
}

let browser: Browser;
let prometheus: RunningPrometheus;
let dir: string;
const instances = ['a', 'b', 'c'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aiops-backtest-report-'));
  const history: SeriesInput[] = instances.map((instance, i) => ({
    labels: { __name__: 'queue_depth', job: 'worker', instance },
    samples: samples(200 + i, instance === 'b'),
  }));
  [prometheus, browser] = await Promise.all([startPrometheus({ series: history }), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await prometheus?.stop();
  if (dir !== undefined && process.env.KEEP_REPORT_DIR === undefined) await rm(dir, { recursive: true, force: true });
});

describe('aiops-detector backtest --report in headless Chromium', () => {
  it('draws the one series of a CSV, with the alert where the spike is, offline', async () => {
    // Prepare
    const rows = samples(7, true).map(([s, v]) => `${s},${v}`);
    await writeFile(join(dir, 'spiky.csv'), `timestamp,value\n${rows.join('\n')}\n`);

    // Act
    const result = await cli(['backtest', '--input', 'spiky.csv', '--report', 'csv.html'], dir);
    const page = await openReport(browser, join(dir, 'csv.html'));

    // Assess
    expect(result.code).toBe(0);
    expect(page.charts.map((c) => c.series)).toEqual(['spiky.csv']);
    expectChartDrawn(page.charts[0]!);
    expect(page.charts[0]!.fired).toBe(1);
    expect(page.attempted).toEqual([]);
    expect(page.errors).toEqual([]);
  });

  it('draws exactly one chart per series of a Prometheus backtest, offline', async () => {
    // Act
    const result = await cli(
      ['backtest', '--prometheus', prometheus.url, '--query', 'queue_depth', '--start', iso(60), '--end', iso(minutes - 1), '--report', 'prometheus.html'],
      dir,
    );
    const page = await openReport(browser, join(dir, 'prometheus.html'));

    // Assess
    expect(result.code).toBe(0);
    expect(page.charts.map((c) => c.series)).toEqual(instances.map((i) => `queue_depth{instance="${i}",job="worker"}`));
    page.charts.forEach(expectChartDrawn);
    expect(page.charts.map((c) => c.fired)).toEqual([0, 1, 0]);
    expect(page.attempted).toEqual([]);
    expect(page.errors).toEqual([]);
  });
});
