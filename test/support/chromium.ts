/**
 * Headless Debian Chromium (/usr/bin/chromium) through playwright-core, for tests that check what
 * a person would see in a browser (the backtest report). A missing browser FAILS the suite that
 * asks for it: the report must be checked in a real browser, never skipped.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const chromiumBinary = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/** No GPU, no sandbox (containers), and none of Chromium's own background requests. */
export const chromiumArgs: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches headless Chromium; throws (so the test fails) when the binary is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumBinary)) {
    throw new Error(`${chromiumBinary} not found: install Debian's chromium package (apt-get install -y chromium)`);
  }
  return chromium.launch({ executablePath: chromiumBinary, args: [...chromiumArgs] });
}

/** What a person would see of one chart of the backtest report. */
export interface ReportChart {
  series: string | null;
  width: number;
  height: number;
  valuePathWidth: number;
  valuePathHeight: number;
  scorePathWidth: number;
  /** Length of the value path's `d` attribute: how many points were drawn. */
  valuePathChars: number;
  thresholdLines: number;
  fired: number;
  resolved: number;
}

/**
 * Asserts that a chart was drawn as a person would see it: a plot of real size, value and
 * score lines across it with some height (a real line, not an empty path), one threshold line.
 */
export function expectChartDrawn(chart: ReportChart): void {
  expect(chart.width).toBeGreaterThan(300);
  expect(chart.height).toBeGreaterThan(100);
  expect(chart.valuePathWidth).toBeGreaterThan(300);
  expect(chart.valuePathHeight).toBeGreaterThan(20);
  expect(chart.scorePathWidth).toBeGreaterThan(300);
  expect(chart.thresholdLines).toBe(1);
}

export interface OpenedReport {
  /** Still open: the caller may query it further or take a screenshot, then closes it. */
  page: Page;
  fileUrl: string;
  charts: ReportChart[];
  /** Every URL the page asked for, the file itself included. */
  attempted: string[];
  consoleErrors: string[];
}

/**
 * Opens a report file with every request but the file itself aborted, and measures each
 * `svg.series-chart` on it (locator queries only: the project compiles without the DOM lib).
 */
export async function openReportOffline(browser: Browser, file: string): Promise<OpenedReport> {
  const fileUrl = pathToFileURL(file).href;
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const attempted: string[] = [];
  const consoleErrors: string[] = [];
  page.on('request', (request) => attempted.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  await page.route('**', (route) => (route.request().url() === fileUrl ? route.continue() : route.abort('blockedbyclient')));
  await page.goto(fileUrl, { waitUntil: 'load' });
  const svgs = page.locator('svg.series-chart');
  const charts: ReportChart[] = [];
  for (let i = 0; i < (await svgs.count()); i += 1) {
    const svg = svgs.nth(i);
    const box = await svg.boundingBox();
    const valueBox = await svg.locator('path.value-line').boundingBox();
    const scoreBox = await svg.locator('path.score-line').boundingBox();
    charts.push({
      series: await svg.getAttribute('data-series'),
      width: box?.width ?? 0,
      height: box?.height ?? 0,
      valuePathWidth: valueBox?.width ?? 0,
      valuePathHeight: valueBox?.height ?? 0,
      scorePathWidth: scoreBox?.width ?? 0,
      valuePathChars: (await svg.locator('path.value-line').getAttribute('d'))?.length ?? 0,
      thresholdLines: await svg.locator('.threshold-line').count(),
      fired: await svg.locator('.alert-marker.alert-fired').count(),
      resolved: await svg.locator('.alert-marker.alert-resolved').count(),
    });
  }
  return { page, fileUrl, charts, attempted, consoleErrors };
}
