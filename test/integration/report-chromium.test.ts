import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBacktestReport, type ReportRow, type ReportSeries } from '../../lib/report/html-report.js';
// Debian's chromium; a missing browser fails this suite instead of skipping it.
import { expectChartDrawn, launchChromium, openReportOffline } from '../support/chromium.js';

const MINUTE_MS = 60_000;
const START_MS = Date.UTC(2024, 4, 1, 0, 0, 0);

/** A daily-ish wave with a bump of `spikeRows` rows at `spikeAt`, and a matching score. */
function makeRows(
  count: number,
  spikeAt: number,
  spikeRows: number,
  alertAt: (i: number) => ReportRow['alert'],
): ReportRow[] {
  return Array.from({ length: count }, (_, i) => {
    const inSpike = i >= spikeAt && i < spikeAt + spikeRows;
    return {
      timestampMs: START_MS + i * 5 * MINUTE_MS,
      value: 50 + 20 * Math.sin((2 * Math.PI * i) / 288) + (inSpike ? 60 : 0),
      anomalyScore: i < 30 ? Number.NaN : inSpike ? 0.82 : 0.35 + 0.05 * Math.sin(i / 7),
      alert: alertAt(i),
    };
  });
}

describe('backtest report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;
  let reportPath: string;

  const series: ReportSeries[] = [
    {
      name: 'cpu_usage',
      labels: { instance: 'web-1:9100', job: 'node' },
      threshold: 0.65,
      // A state column: firing on rows 600..611, resolved at 612; a per-row threshold as the
      // backtest gives it (none before the detector has history).
      rows: makeRows(1500, 600, 12, (i) => i >= 600 && i < 612).map((row, i) => ({
        ...row,
        threshold: i < 30 ? Number.NaN : 0.6 + 0.05 * Math.sin(i / 100),
      })),
      windows: [{ startMs: START_MS + 590 * 5 * MINUTE_MS, endMs: START_MS + 640 * 5 * MINUTE_MS }],
    },
    {
      name: 'latency <script>alert(1)</script>',
      labels: { route: '<img src=x onerror=alert(2)>' },
      threshold: 0.65,
      rows: makeRows(800, 10_000, 0, () => false),
    },
    {
      // NAB-sized: 22 000 rows, alert lifecycle events instead of a state column.
      name: 'requests_total',
      threshold: 0.7,
      rows: makeRows(22_000, 15_000, 20, (i) => (i === 15_000 ? 'firing' : i === 15_030 ? 'resolved' : 'none')),
    },
  ];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aiops-report-'));
    reportPath = path.join(dir, 'report.html');
    writeBacktestReport(reportPath, series, { title: 'Backtest <demo>', generatedAt: new Date(Date.UTC(2024, 4, 2)) });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    // Keep the screenshot for a human when asked to.
    if (dir !== undefined && process.env.KEEP_REPORT_DIR === undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('renders one chart per series with markers, offline, without console errors', async () => {
    // Act
    const { page, fileUrl, charts, attempted, consoleErrors } = await openReportOffline(browser, reportPath);
    const firedMarkerBox = await page.locator('svg.series-chart[data-index="0"] .alert-fired').boundingBox();
    const scriptsInPage = await page.locator('script').count();
    const secondTitle = await page.locator('figure.chart').nth(1).locator('h2').textContent();
    const summaryFired = await page.locator('table.summary tbody tr td.fired').allTextContents();
    await page.screenshot({ path: path.join(dir, 'report.png'), fullPage: true });

    // Assess: exactly one drawn chart per series, in order.
    expect(charts.map((c) => c.series)).toEqual(series.map((s) => s.name));
    for (const chart of charts) expectChartDrawn(chart);
    // Alerts: fired and resolved markers where they happened, none where none did.
    expect(charts.map((c) => [c.fired, c.resolved])).toEqual([
      [1, 1],
      [0, 0],
      [1, 1],
    ]);
    expect(firedMarkerBox?.height ?? 0).toBeGreaterThan(100);
    expect(summaryFired).toEqual(['1', '0', '1']);
    // The 22 000-row series is decimated: far fewer path points than rows.
    expect(charts[2]?.valuePathChars ?? 0).toBeLessThan(60_000);
    // Names render as text, never as markup.
    expect(secondTitle).toBe('latency <script>alert(1)</script>');
    expect(scriptsInPage).toBe(0);
    // Offline: the page asked for nothing but itself.
    expect(attempted).toEqual([fileUrl]);
    expect(consoleErrors).toEqual([]);
    expect(statSync(path.join(dir, 'report.png')).size).toBeGreaterThan(10_000);
    await page.close();
  });
});
