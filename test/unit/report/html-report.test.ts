import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backtestSeries } from '../../../lib/backtest/replay.js';
import { defaultDetector } from '../../../lib/config/defaults.js';
import { decimateMinMax } from '../../../lib/report/decimate.js';
import { alertEvents, escapeHtml, renderBacktestReport, type ReportRow } from '../../../lib/report/html-report.js';

const START_MS = Date.UTC(2024, 0, 1);
const STEP_MS = 5 * 60_000;
const OPTIONS = { title: 'Backtest', generatedAt: new Date(Date.UTC(2024, 0, 2)) };

function rows(count: number, score: (i: number) => number, alert: (i: number) => ReportRow['alert'] = () => false): ReportRow[] {
  return Array.from({ length: count }, (_, i) => ({
    timestampMs: START_MS + i * STEP_MS,
    value: Math.sin(i / 50) * 10 + 100,
    anomalyScore: score(i),
    alert: alert(i),
  }));
}

/** The `d` attribute of the first element with `className` in `html`. */
function pathData(html: string, className: string): string {
  const match = new RegExp(`<path class="${className}" d="([^"]*)"`).exec(html);
  return match?.[1] ?? '';
}

describe('renderBacktestReport escaping', () => {
  it('renders names and labels that contain markup as text', () => {
    // Prepare
    const hostile = '<script>alert("x")</script>';
    const series = [
      {
        name: `cpu ${hostile}`,
        labels: { instance: `"><img src=x onerror=alert(1)>`, job: `it's & more` },
        rows: rows(50, () => 0.3),
      },
    ];

    // Act
    const html = renderBacktestReport(series, { ...OPTIONS, title: `report ${hostile}` });

    // Assess: no live tag or attribute break-out survives; the text is there, escaped.
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toMatch(/"><img/);
    expect(html).toContain('cpu &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('data-series="cpu &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"');
    expect(html).toContain('it&#39;s &amp; more');
    expect(html).toContain('<title>report &lt;script&gt;');
  });

  it('escapes every character that can break out of text or an attribute', () => {
    expect(escapeHtml(`<a href='x' title="y">&</a>`)).toBe('&lt;a href=&#39;x&#39; title=&quot;y&quot;&gt;&amp;&lt;/a&gt;');
  });

  it('loads nothing from the network: no external src/href, and a CSP that forbids it', () => {
    const html = renderBacktestReport([{ name: 's', rows: rows(10, () => 0.2) }], OPTIONS);

    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });
});

describe('decimation keeps what a reader must see', () => {
  it('keeps every bucket minimum and maximum, so the global peak survives', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 3000 }),
        fc.integer({ min: 1, max: 200 }),
        (ys, buckets) => {
          const kept = decimateMinMax(ys, buckets);
          const peakAt = ys.indexOf(Math.max(...ys));
          const dipAt = ys.indexOf(Math.min(...ys));
          expect(kept.map((i) => ys[i])).toContain(ys[peakAt]);
          expect(kept.map((i) => ys[i])).toContain(ys[dipAt]);
          expect(kept.length).toBeLessThanOrEqual(Math.min(ys.length, buckets * 4));
          expect([...kept].sort((a, b) => a - b)).toEqual(kept);
          expect(kept[0]).toBe(0);
          expect(kept[kept.length - 1]).toBe(ys.length - 1);
        },
      ),
    );
  });

  it('draws a 22 000-row series with a few thousand points, its score peak and every alert marker', () => {
    // Prepare: one isolated score peak, 40 short alerts spread over the series.
    const count = 22_000;
    const peakRow = 13_337;
    const alertStarts = Array.from({ length: 40 }, (_, k) => 200 + k * 530);
    const firing = new Set(alertStarts.flatMap((s) => [s, s + 1, s + 2]));
    const series = [
      {
        name: 'big',
        threshold: 0.7,
        rows: rows(
          count,
          (i) => (i === peakRow ? 0.99 : 0.3 + 0.01 * Math.sin(i)),
          (i) => firing.has(i),
        ),
      },
    ];

    // Act
    const html = renderBacktestReport(series, OPTIONS);

    // Assess
    const scorePoints = pathData(html, 'score-line').split(' ');
    const peakY = Math.min(...scorePoints.map((p) => Number(p.replace('M', '').split(',')[1])));
    expect(scorePoints.length).toBeLessThan(3000);
    // The score axis runs 0..1 over 96 units from y = 246: 0.99 sits about 1 unit below its top.
    expect(peakY).toBeLessThan(248);
    expect(html.match(/class="alert-marker alert-fired"/g)).toHaveLength(40);
    expect(html.match(/class="alert-marker alert-resolved"/g)).toHaveLength(40);
    expect(html.length).toBeLessThan(400_000);
    expect(html).toContain('<td class="max-score">0.990</td>');
  });

  it('breaks the score line where there is no score yet', () => {
    const html = renderBacktestReport([{ name: 's', rows: rows(100, (i) => (i < 30 ? Number.NaN : 0.4)) }], OPTIONS);

    const d = pathData(html, 'score-line');
    expect(d.startsWith('M')).toBe(true);
    expect(d.split(' ')).toHaveLength(70);
  });
});

describe('alert markers', () => {
  it('reads a state column: rise = fired, fall = resolved; still firing at the end = open', () => {
    const states = [false, true, true, false, false, true, true];

    const events = alertEvents(rows(states.length, () => 0.5, (i) => states[i] as boolean));

    expect(events.fired).toEqual([1, 5]);
    expect(events.resolved).toEqual([3]);
    expect(events.active).toEqual([
      [1, 2],
      [5, 6],
    ]);
  });

  it('reads lifecycle events: firing, repeat while firing, none, resolved', () => {
    const column = ['none', 'firing', 'none', 'repeat', 'none', 'resolved', 'none'];

    const events = alertEvents(rows(column.length, () => 0.5, (i) => column[i] as string));

    expect(events.fired).toEqual([1]);
    expect(events.resolved).toEqual([5]);
    expect(events.active).toEqual([[1, 5]]);
  });

  it('puts one chart per series in the page, each identifiable, with a summary row', () => {
    const series = ['a', 'b', 'c'].map((name, k) => ({
      name,
      rows: rows(300, () => 0.2, (i) => k === 1 && i >= 100 && i < 110),
    }));

    const html = renderBacktestReport(series, OPTIONS);

    expect(html.match(/<svg class="series-chart"/g)).toHaveLength(3);
    expect(html.match(/<figure class="chart"/g)).toHaveLength(3);
    expect(html).toContain('<svg class="series-chart" data-series="b" data-index="1"');
    expect([...html.matchAll(/<td class="fired">(\d+)<\/td><td class="resolved">(\d+)<\/td>/g)].map((m) => [m[1], m[2]])).toEqual([
      ['0', '0'],
      ['1', '1'],
      ['0', '0'],
    ]);
  });

  it('draws the threshold each row was judged against when rows carry one', () => {
    // Prepare: no threshold for the first 30 rows, then 0.6 rising to 0.8 halfway.
    const series = [
      {
        name: 'moving',
        threshold: 0.5,
        rows: rows(100, () => 0.3).map((row, i) => ({ ...row, threshold: i < 30 ? Number.NaN : i < 50 ? 0.6 : 0.8 })),
      },
    ];

    const html = renderBacktestReport(series, OPTIONS);

    // Assess: a step path at two heights starting after the gap, not the series-wide 0.5 line.
    const d = pathData(html, 'threshold-line');
    const heights = new Set(d.split(' ').map((p) => p.split(',')[1]));
    expect(heights.size).toBe(2);
    expect(d.startsWith(`M${Math.round((76 + (30 / 99) * 1000) * 10) / 10},`)).toBe(true);
    expect(html).not.toContain('<line class="threshold-line"');
    expect(html).toContain('<td>0.800</td></tr>');
  });

  it('draws a chart even for a series with no rows', () => {
    const html = renderBacktestReport([{ name: 'empty', rows: [] }], OPTIONS);

    expect(html).toContain('no rows to draw');
    expect(html.match(/<svg class="series-chart"/g)).toHaveLength(1);
  });
});

describe('report from a real backtest', () => {
  it('takes backtestSeries rows as they are and marks the alerts they carry', async () => {
    // Prepare: a flat-ish series with one jump, replayed by the run's own backtest.
    const count = 400;
    const timestampsMs = Float64Array.from({ length: count }, (_, i) => START_MS + i * 60_000);
    const values = Float64Array.from({ length: count }, (_, i) => 10 + Math.sin(i / 3) + (i >= 300 && i < 305 ? 80 : 0));
    const result = await backtestSeries({ timestampsMs, values }, defaultDetector());

    // Act
    const html = renderBacktestReport([{ name: 'jump', labels: { job: 'demo' }, rows: result.rows }], OPTIONS);

    // Assess: as many fired markers as the backtest has `firing` rows.
    const firing = result.rows.filter((row) => row.alert === 'firing').length;
    expect(html.match(/class="alert-marker alert-fired"/g) ?? []).toHaveLength(firing);
    expect(firing).toBeGreaterThan(0);
    expect(pathData(html, 'threshold-line')).not.toBe('');
  });
});
