/** The report page's inline stylesheet and its legend (no font, no image, nothing to load). */

/** Inline CSS of the page (its Content-Security-Policy allows inline styles only). */
export const STYLE = `
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

/** The legend above the charts, drawn with the same colours as the charts. */
export const LEGEND = `<ul class="legend" aria-label="legend">
<li><svg viewBox="0 0 28 12" aria-hidden="true"><line x1="0" x2="28" y1="6" y2="6" stroke="#0969da" stroke-width="2"/></svg>value</li>
<li><svg viewBox="0 0 28 12" aria-hidden="true"><line x1="0" x2="28" y1="6" y2="6" stroke="#8250df" stroke-width="2"/></svg>anomaly score</li>
<li><svg viewBox="0 0 28 12" aria-hidden="true"><line x1="0" x2="28" y1="6" y2="6" stroke="#cf222e" stroke-width="1.5" stroke-dasharray="5 4"/></svg>threshold</li>
<li><svg viewBox="0 0 28 12" aria-hidden="true"><path d="M14,11 l-6,-10 h12 z" fill="#cf222e"/></svg>alert fired</li>
<li><svg viewBox="0 0 28 12" aria-hidden="true"><path d="M14,1 l-6,10 h12 z" fill="#1a7f37"/></svg>alert resolved</li>
<li><svg viewBox="0 0 28 12" aria-hidden="true"><rect width="28" height="12" fill="#cf222e" fill-opacity="0.15"/></svg>alert firing</li>
<li><svg viewBox="0 0 28 12" aria-hidden="true"><rect width="28" height="12" fill="#bf8700" fill-opacity="0.25"/></svg>labelled anomaly window</li>
</ul>`;
