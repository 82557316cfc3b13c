/**
 * The backtest report: ONE self-contained HTML page (inline CSS and inline SVG; no script,
 * no font, no request of any kind, enforced by its Content-Security-Policy) that draws, per
 * series, the metric, its anomaly score against the threshold, and where alerts fired and
 * resolved, with a summary table. Every name and label is HTML-escaped.
 *
 * Large series are decimated per pixel column (min/max kept, see decimate.ts); alert markers
 * are drawn from every row, so no alert is ever hidden by decimation.
 */
import { writeFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { timeTicks, valueTicks } from './axis.js';
import { decimateMinMax } from './decimate.js';

/**
 * The alert column of a backtest row: a state (`true`/`1` while firing) or an event of the
 * alert lifecycle (`firing`, `repeat`, `resolved`, `none`).
 */
export type ReportAlert = boolean | number | string;

/**
 * One replayed row (a lib/backtest/replay.ts `BacktestRow` fits as it is). `anomalyScore` is
 * NaN while the detector lacks history.
 */
export interface ReportRow {
  readonly timestampMs: number;
  readonly value: number;
  readonly anomalyScore: number;
  readonly alert: ReportAlert;
  /** The threshold this row was judged against, when it varies per row (NaN: none yet). */
  readonly threshold?: number;
}

/** A labelled interval to shade (for example a NAB anomaly window). */
export interface ReportWindow {
  readonly startMs: number;
  readonly endMs: number;
}

export interface ReportSeries {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly rows: readonly ReportRow[];
  /**
   * Score threshold of the detector, drawn as a dashed line. Rows' own `threshold` values, when
   * present, are drawn instead (the effective threshold moves with the window).
   */
  readonly threshold?: number;
  /** Known anomaly windows, shaded behind the metric. */
  readonly windows?: readonly ReportWindow[];
}

export interface ReportOptions {
  readonly title: string;
  readonly generatedAt: Date;
  /** Buckets per chart for decimation (each keeps up to 4 rows). Default 700. */
  readonly maxBuckets?: number;
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Where alerts started and ended, as row indices. */
export interface AlertEvents {
  readonly fired: readonly number[];
  readonly resolved: readonly number[];
  /** Firing intervals [first row, last row]; open at the end when never resolved. */
  readonly active: readonly (readonly [number, number])[];
}

function isEvent(alert: ReportAlert): alert is string {
  return typeof alert === 'string';
}

/**
 * Reads the alert column: with states, a rise is "fired" and a fall "resolved"; with lifecycle
 * events, `firing` (or a `repeat` with no earlier `firing`) fires and `resolved` resolves.
 */
export function alertEvents(rows: readonly ReportRow[]): AlertEvents {
  const fired: number[] = [];
  const resolved: number[] = [];
  const active: [number, number][] = [];
  let since = -1;
  const start = (i: number): void => {
    fired.push(i);
    since = i;
  };
  const stop = (i: number, endRow: number): void => {
    resolved.push(i);
    if (since >= 0) active.push([since, endRow]);
    since = -1;
  };
  rows.forEach((row, i) => {
    const { alert } = row;
    if (isEvent(alert)) {
      const event = alert.toLowerCase();
      if ((event === 'firing' || event === 'repeat') && since < 0) start(i);
      else if (event === 'resolved') stop(i, i);
      return;
    }
    const on = Boolean(alert);
    if (on && since < 0) start(i);
    else if (!on && since >= 0) stop(i, i - 1);
  });
  if (since >= 0) active.push([since, rows.length - 1]);
  return { fired, resolved, active };
}

// Chart geometry, in SVG user units (the SVG scales to the page width).
const WIDTH = 1100;
const LEFT = 76;
const RIGHT = 24;
const VALUE_TOP = 24;
const VALUE_HEIGHT = 200;
const SCORE_TOP = VALUE_TOP + VALUE_HEIGHT + 22;
const SCORE_HEIGHT = 96;
const HEIGHT = SCORE_TOP + SCORE_HEIGHT + 30;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;

function round1(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

function isoUtc(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('.000Z', 'Z') : 'unknown time';
}

/** An SVG path through the kept rows, broken where y is not finite. */
function linePath(indices: readonly number[], x: (i: number) => number, y: (i: number) => number): string {
  const parts: string[] = [];
  let drawing = false;
  for (const i of indices) {
    const yi = y(i);
    if (!Number.isFinite(yi)) {
      drawing = false;
      continue;
    }
    parts.push(`${drawing ? '' : 'M'}${round1(x(i))},${round1(yi)}`);
    drawing = true;
  }
  return parts.join(' ');
}

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

function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  if (labels === undefined) return '';
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(', ')}}`;
}

function renderChart(series: ReportSeries, index: number, events: AlertEvents, maxBuckets: number): string {
  const { rows } = series;
  const name = escapeHtml(series.name);
  const open = `<svg class="series-chart" data-series="${name}" data-index="${index}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${name}: value, anomaly score and alerts" xmlns="http://www.w3.org/2000/svg">`;
  if (rows.length === 0) {
    return `${open}<text class="empty" x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle">no rows to draw</text></svg>`;
  }

  let t0 = Number.POSITIVE_INFINITY;
  let t1 = Number.NEGATIVE_INFINITY;
  let vMin = Number.POSITIVE_INFINITY;
  let vMax = Number.NEGATIVE_INFINITY;
  let sMax = 1;
  const values = new Float64Array(rows.length);
  const scores = new Float64Array(rows.length);
  rows.forEach((row, i) => {
    if (row.timestampMs < t0) t0 = row.timestampMs;
    if (row.timestampMs > t1) t1 = row.timestampMs;
    values[i] = Number.isFinite(row.value) ? row.value : Number.NaN;
    scores[i] = Number.isFinite(row.anomalyScore) ? row.anomalyScore : Number.NaN;
    if (Number.isFinite(row.value)) {
      vMin = Math.min(vMin, row.value);
      vMax = Math.max(vMax, row.value);
    }
    if (Number.isFinite(row.anomalyScore)) sMax = Math.max(sMax, row.anomalyScore);
  });
  if (t1 === t0) {
    t0 -= 60_000;
    t1 += 60_000;
  }
  const valueAxis = valueTicks(vMin, vMax);
  const scoreAxis = valueTicks(0, sMax, 2);
  const x = (ms: number): number => LEFT + ((ms - t0) / (t1 - t0)) * PLOT_WIDTH;
  const yValue = (v: number): number =>
    VALUE_TOP + VALUE_HEIGHT - ((v - valueAxis.low) / (valueAxis.high - valueAxis.low)) * VALUE_HEIGHT;
  const yScore = (s: number): number =>
    SCORE_TOP + SCORE_HEIGHT - ((s - scoreAxis.low) / (scoreAxis.high - scoreAxis.low)) * SCORE_HEIGHT;
  const rowX = (i: number): number => x((rows[i] as ReportRow).timestampMs);

  const parts: string[] = [open];
  parts.push(`<rect class="panel" x="${LEFT}" y="${VALUE_TOP}" width="${PLOT_WIDTH}" height="${VALUE_HEIGHT}"/>`);
  parts.push(`<rect class="panel" x="${LEFT}" y="${SCORE_TOP}" width="${PLOT_WIDTH}" height="${SCORE_HEIGHT}"/>`);

  // Shaded intervals first, so lines draw over them.
  for (const window of series.windows ?? []) {
    const from = Math.max(x(window.startMs), LEFT);
    const to = Math.min(x(window.endMs), LEFT + PLOT_WIDTH);
    if (to < LEFT || from > LEFT + PLOT_WIDTH) continue;
    parts.push(
      `<rect class="labelled-window" x="${round1(from)}" y="${VALUE_TOP}" width="${round1(Math.max(to - from, 1))}" height="${VALUE_HEIGHT}"><title>labelled anomaly window ${isoUtc(window.startMs)} to ${isoUtc(window.endMs)}</title></rect>`,
    );
  }
  for (const [from, to] of events.active) {
    const left = rowX(from);
    const right = rowX(to);
    parts.push(
      `<rect class="alert-active" x="${round1(left)}" y="${VALUE_TOP}" width="${round1(Math.max(right - left, 1))}" height="${SCORE_TOP + SCORE_HEIGHT - VALUE_TOP}"/>`,
    );
  }

  // Grid and axes.
  for (const tick of timeTicks(t0, t1)) {
    const tx = round1(x(tick.at));
    parts.push(`<line class="grid" x1="${tx}" x2="${tx}" y1="${VALUE_TOP}" y2="${VALUE_TOP + VALUE_HEIGHT}"/>`);
    parts.push(`<line class="grid" x1="${tx}" x2="${tx}" y1="${SCORE_TOP}" y2="${SCORE_TOP + SCORE_HEIGHT}"/>`);
    parts.push(
      `<text class="tick time-tick" x="${tx}" y="${SCORE_TOP + SCORE_HEIGHT + 16}" text-anchor="middle">${escapeHtml(tick.label)}</text>`,
    );
  }
  for (const tick of valueAxis.ticks) {
    const ty = round1(yValue(tick.at));
    parts.push(`<line class="grid" x1="${LEFT}" x2="${LEFT + PLOT_WIDTH}" y1="${ty}" y2="${ty}"/>`);
    parts.push(`<text class="tick" x="${LEFT - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${escapeHtml(tick.label)}</text>`);
  }
  for (const tick of scoreAxis.ticks) {
    const ty = round1(yScore(tick.at));
    parts.push(`<line class="grid" x1="${LEFT}" x2="${LEFT + PLOT_WIDTH}" y1="${ty}" y2="${ty}"/>`);
    parts.push(`<text class="tick" x="${LEFT - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${escapeHtml(tick.label)}</text>`);
  }
  parts.push(`<text class="axis-title" x="${LEFT}" y="${VALUE_TOP - 8}">value</text>`);
  parts.push(`<text class="axis-title" x="${LEFT}" y="${SCORE_TOP - 7}">anomaly score</text>`);

  // Lines, decimated per bucket of rows (min/max kept).
  const valueIndices = decimateMinMax(values, maxBuckets);
  const scoreIndices = decimateMinMax(scores, maxBuckets);
  parts.push(`<path class="value-line" d="${linePath(valueIndices, rowX, (i) => yValue(values[i] as number))}"/>`);
  parts.push(`<path class="score-line" d="${linePath(scoreIndices, rowX, (i) => yScore(scores[i] as number))}"/>`);
  const rowThresholds = Float64Array.from(rows, (row) =>
    row.threshold !== undefined && Number.isFinite(row.threshold) ? row.threshold : Number.NaN,
  );
  const lastThresholdAt = rowThresholds.findLastIndex((t) => !Number.isNaN(t));
  if (lastThresholdAt >= 0) {
    // A step line: each row's threshold holds until the next row.
    const indices = decimateMinMax(rowThresholds, maxBuckets);
    const steps: string[] = [];
    let drawing = false;
    for (let k = 0; k < indices.length; k += 1) {
      const i = indices[k] as number;
      const t = rowThresholds[i] as number;
      if (Number.isNaN(t)) {
        drawing = false;
        continue;
      }
      const y = round1(yScore(t));
      const next = indices[k + 1];
      const xEnd = next === undefined ? rowX(i) : rowX(next);
      steps.push(`${drawing ? '' : 'M'}${round1(rowX(i))},${y} ${round1(xEnd)},${y}`);
      drawing = true;
    }
    const last = rowThresholds[lastThresholdAt] as number;
    parts.push(`<path class="threshold-line" d="${steps.join(' ')}"><title>threshold per row (last ${Math.round(last * 1000) / 1000})</title></path>`);
    parts.push(
      `<text class="threshold-label" x="${LEFT + PLOT_WIDTH - 4}" y="${round1(yScore(last) - 4)}" text-anchor="end">threshold ${escapeHtml(String(Math.round(last * 1000) / 1000))}</text>`,
    );
  } else if (series.threshold !== undefined && Number.isFinite(series.threshold)) {
    const ty = round1(yScore(series.threshold));
    parts.push(
      `<line class="threshold-line" x1="${LEFT}" x2="${LEFT + PLOT_WIDTH}" y1="${ty}" y2="${ty}"><title>threshold ${series.threshold}</title></line>`,
    );
    parts.push(
      `<text class="threshold-label" x="${LEFT + PLOT_WIDTH - 4}" y="${round1(yScore(series.threshold) - 4)}" text-anchor="end">threshold ${escapeHtml(String(Math.round(series.threshold * 1000) / 1000))}</text>`,
    );
  }

  // Alert markers from every row (never decimated).
  const marker = (i: number, kind: 'fired' | 'resolved'): string => {
    const row = rows[i] as ReportRow;
    const mx = round1(rowX(i));
    const score = Number.isFinite(row.anomalyScore) ? `, score ${Math.round(row.anomalyScore * 1000) / 1000}` : '';
    const tip = `alert ${kind} ${isoUtc(row.timestampMs)}${score}`;
    const head = kind === 'fired' ? `M${mx},${VALUE_TOP + 9} l-6,-10 h12 z` : `M${mx},${VALUE_TOP - 1} l-6,10 h12 z`;
    return `<g class="alert-marker alert-${kind}" data-timestamp="${isoUtc(row.timestampMs)}"><title>${escapeHtml(tip)}</title><line x1="${mx}" x2="${mx}" y1="${VALUE_TOP}" y2="${SCORE_TOP + SCORE_HEIGHT}"/><path d="${head}"/></g>`;
  };
  for (const i of events.fired) parts.push(marker(i, 'fired'));
  for (const i of events.resolved) parts.push(marker(i, 'resolved'));
  parts.push('</svg>');
  return parts.join('');
}

const STYLE = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #0969da; --score: #8250df; --fired: #cf222e; --resolved: #1a7f37; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 16px 24px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: #fff; }
h1 { font-size: 22px; margin: 8px 0 2px; }
h2 { font-size: 16px; margin: 0; overflow-wrap: anywhere; }
.meta, .labels { color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
.labels { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
table { border-collapse: collapse; margin: 12px 0 20px; width: 100%; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #d0d7de; padding: 4px 8px; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; overflow-wrap: anywhere; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 8px 0 16px; padding: 0; list-style: none; font-size: 12px; }
.legend li { display: flex; align-items: center; gap: 6px; }
.legend svg { width: 28px; height: 12px; }
figure.chart { margin: 0 0 28px; border: 1px solid #d0d7de; border-radius: 6px; padding: 10px 12px 4px; }
figcaption { margin-bottom: 4px; }
svg.series-chart { display: block; width: 100%; height: auto; }
.panel { fill: #fff; stroke: #d0d7de; }
.grid { stroke: #eaeef2; stroke-width: 1; }
.tick { font-size: 11px; fill: var(--muted); }
.axis-title { font-size: 11px; fill: var(--muted); font-weight: 600; }
.value-line { fill: none; stroke: var(--line); stroke-width: 1.2; stroke-linejoin: round; }
.score-line { fill: none; stroke: var(--score); stroke-width: 1.1; stroke-linejoin: round; }
.threshold-line { fill: none; stroke: var(--fired); stroke-width: 1; stroke-dasharray: 5 4; }
.threshold-label { font-size: 11px; fill: var(--fired); }
.alert-active { fill: var(--fired); fill-opacity: 0.08; }
.labelled-window { fill: #bf8700; fill-opacity: 0.15; }
.alert-marker line { stroke-width: 1.2; stroke-opacity: 0.8; }
.alert-fired line { stroke: var(--fired); }
.alert-fired path { fill: var(--fired); }
.alert-resolved line { stroke: var(--resolved); stroke-dasharray: 3 2; }
.alert-resolved path { fill: var(--resolved); }
.empty { font-size: 14px; fill: var(--muted); }
`;

const LEGEND = `<ul class="legend" aria-label="legend">
<li><svg viewBox="0 0 28 12" aria-hidden="true"><line x1="0" x2="28" y1="6" y2="6" stroke="#0969da" stroke-width="2"/></svg>value</li>
<li><svg viewBox="0 0 28 12" aria-hidden="true"><line x1="0" x2="28" y1="6" y2="6" stroke="#8250df" stroke-width="2"/></svg>anomaly score</li>
<li><svg viewBox="0 0 28 12" aria-hidden="true"><line x1="0" x2="28" y1="6" y2="6" stroke="#cf222e" stroke-width="1.5" stroke-dasharray="5 4"/></svg>threshold</li>
<li><svg viewBox="0 0 28 12" aria-hidden="true"><path d="M14,11 l-6,-10 h12 z" fill="#cf222e"/></svg>alert fired</li>
<li><svg viewBox="0 0 28 12" aria-hidden="true"><path d="M14,1 l-6,10 h12 z" fill="#1a7f37"/></svg>alert resolved</li>
<li><svg viewBox="0 0 28 12" aria-hidden="true"><rect width="28" height="12" fill="#cf222e" fill-opacity="0.15"/></svg>alert firing</li>
<li><svg viewBox="0 0 28 12" aria-hidden="true"><rect width="28" height="12" fill="#bf8700" fill-opacity="0.25"/></svg>labelled anomaly window</li>
</ul>`;

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
