/**
 * The backtest report: ONE self-contained HTML page (inline CSS and inline SVG; no script,
 * no font, no request of any kind, enforced by its Content-Security-Policy) that draws, per
 * series, the metric, its anomaly score against the threshold, and where alerts fired and
 * resolved, with a summary table. Every name and label is HTML-escaped.
 *
 * The page is assembled here; each chart is drawn by chart.ts, the alert column is read by
 * alert-events.ts, and the styles and legend are in page-style.ts.
 */
import { writeFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { labelList, type Labels } from '../series/index.js';
import { alertEvents, type AlertEvents } from './alert-events.js';
import { renderChart } from './chart.js';
import { escapeHtml, isoUtc } from './markup.js';
import { LEGEND, STYLE } from './page-style.js';
import type { ReportOptions, ReportRow, ReportSeries } from './report-input.js';

export type { ReportAlert, ReportOptions, ReportRow, ReportSeries, ReportWindow } from './report-input.js';
export { alertEvents, type AlertEvents } from './alert-events.js';
export { escapeHtml } from './markup.js';

interface SeriesSummary {
  readonly rows: number;
  readonly fired: number;
  readonly resolved: number;
  readonly maxScore: number;
  readonly maxScoreAtMs: number;
  /** The last row's own threshold, or the series'. */
  readonly threshold: number;
}

function summarize(series: ReportSeries, events: AlertEvents): SeriesSummary {
  let maxScore = Number.NaN;
  let maxScoreAtMs = Number.NaN;
  for (const row of series.rows) {
    if (Number.isFinite(row.anomalyScore) && !(row.anomalyScore <= maxScore)) {
      maxScore = row.anomalyScore;
      maxScoreAtMs = row.timestampMs;
    }
  }
  // As the chart: the rows' own threshold when they carry one, else the series'.
  let threshold = series.threshold ?? Number.NaN;
  for (let i = series.rows.length - 1; i >= 0; i -= 1) {
    const own = (series.rows[i] as ReportRow).threshold;
    if (own !== undefined && Number.isFinite(own)) {
      threshold = own;
      break;
    }
  }
  return {
    threshold,
    rows: series.rows.length,
    fired: events.fired.length,
    resolved: events.resolved.length,
    maxScore,
    maxScoreAtMs,
  };
}

/** The series' labels for people to read (lib/series' one formatter); empty when it has none. */
function formatLabels(labels: Labels | undefined): string {
  return labels === undefined || Object.keys(labels).length === 0 ? '' : labelList(labels);
}

function formatScore(score: number): string {
  return Number.isFinite(score) ? score.toFixed(3) : '–';
}

/**
 * Renders the backtest report of `series` as one self-contained HTML page. Pure: the same
 * input gives the same page (the time shown is `options.generatedAt`).
 */
export function renderBacktestReport(series: readonly ReportSeries[], options: ReportOptions): string {
  const maxBuckets = options.maxBuckets ?? 700;
  if (!Number.isInteger(maxBuckets) || maxBuckets < 1) {
    throw new InputError(`maxBuckets must be a whole number >= 1, got ${maxBuckets}`);
  }
  const title = escapeHtml(options.title);
  const prepared = series.map((s) => {
    const events = alertEvents(s.rows);
    return { series: s, events, summary: summarize(s, events) };
  });

  const summaryRows = prepared
    .map(({ series: s, summary }, i) => {
      const labels = formatLabels(s.labels);
      return `<tr data-series="${escapeHtml(s.name)}"><td><a href="#series-${i}">${escapeHtml(s.name)}</a>${labels === '' ? '' : `<div class="labels">${escapeHtml(labels)}</div>`}</td><td>${summary.rows}</td><td class="fired">${summary.fired}</td><td class="resolved">${summary.resolved}</td><td class="max-score">${formatScore(summary.maxScore)}</td><td>${Number.isFinite(summary.maxScoreAtMs) ? isoUtc(summary.maxScoreAtMs) : '–'}</td><td>${formatScore(summary.threshold)}</td></tr>`;
    })
    .join('\n');

  const charts = prepared
    .map(({ series: s, events }, i) => {
      const labels = formatLabels(s.labels);
      return `<figure class="chart" id="series-${i}" data-series="${escapeHtml(s.name)}">
<figcaption><h2>${escapeHtml(s.name)}</h2>${labels === '' ? '' : `<div class="labels">${escapeHtml(labels)}</div>`}</figcaption>
${renderChart(s, i, events, maxBuckets)}
</figure>`;
    })
    .join('\n');

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${title}</h1>
<div class="meta">Generated ${escapeHtml(options.generatedAt.toISOString())} by aiops-detector · ${prepared.length} series · times in UTC</div>
</header>
${LEGEND}
<table class="summary">
<thead><tr><th>series</th><th>rows</th><th>alerts fired</th><th>resolved</th><th>max score</th><th>max score at</th><th>threshold</th></tr></thead>
<tbody>
${summaryRows}
</tbody>
</table>
${charts}
</body>
</html>
`;
}

/** Renders the report and writes it to `filePath` (what `backtest --report out.html` calls). */
export function writeBacktestReport(filePath: string, series: readonly ReportSeries[], options: ReportOptions): void {
  const html = renderBacktestReport(series, options);
  try {
    writeFileSync(filePath, html, 'utf8');
  } catch (error) {
    throw new InputError(`cannot write the backtest report to ${filePath}`, { cause: error });
  }
}
