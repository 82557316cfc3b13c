/**
 * One series' chart of the backtest report, as inline SVG: the value panel with the labelled
 * windows and firing intervals shaded, the anomaly score panel with the threshold (per row as a
 * step line, or the series' one), and a marker wherever an alert fired or resolved.
 *
 * Lines are decimated per bucket of rows (min/max kept, see decimate.ts); alert markers are
 * drawn from every row, so no alert is ever hidden by decimation.
 */
import type { AlertEvents } from './alert-events.js';
import { timeTicks, valueTicks } from './axis.js';
import { decimateMinMax } from './decimate.js';
import { escapeHtml, isoUtc } from './markup.js';
import type { ReportRow, ReportSeries } from './report-input.js';

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

/** The SVG of one series; `index` is its place on the page. */
export function renderChart(series: ReportSeries, index: number, events: AlertEvents, maxBuckets: number): string {
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
