/**
 * The Prometheus source's way of reading a `query_range` answer before answers were streamed,
 * kept as a reference: the whole body through `JSON.parse` and `readMatrix`, each series
 * gathered in number arrays and copied into Float64Arrays at the end. The streamed path
 * (lib/sources/prometheus/matrix-stream.ts) must give exactly the same Series
 * (test/unit/sources/prometheus/matrix-stream.test.ts), and `npm run bench:answer` measures
 * against it.
 */
import { seriesKey, type Labels, type Series } from '../../lib/series/index.js';
import { readMatrix } from '../../lib/sources/prometheus/matrix.js';

/** Series and warnings of an answer's text, parsed whole. Throws as JSON.parse and readMatrix do. */
export function parseWholeAnswer(text: string): { series: Series[]; warnings: string[] } {
  const { series, warnings } = readMatrix(JSON.parse(text));
  const byKey = new Map<string, { labels: Labels; ts: number[]; values: number[]; dropped: number; lastMs: number }>();
  for (const s of series) {
    const key = seriesKey(s.labels);
    let acc = byKey.get(key);
    if (!acc) {
      acc = { labels: s.labels, ts: [], values: [], dropped: 0, lastMs: -Infinity };
      byKey.set(key, acc);
    }
    for (let i = 0; i < s.timestampsSeconds.length; i++) {
      const ms = Math.round((s.timestampsSeconds[i] ?? 0) * 1000);
      if (ms <= acc.lastMs) continue;
      acc.lastMs = ms;
      const value = Number(s.values[i]);
      if (!Number.isFinite(value)) {
        acc.dropped++;
        continue;
      }
      acc.ts.push(ms);
      acc.values.push(value);
    }
  }
  return {
    warnings,
    series: [...byKey.values()].map((acc) => ({
      labels: acc.labels,
      timestampsMs: Float64Array.from(acc.ts),
      values: Float64Array.from(acc.values),
      droppedNonFinite: acc.dropped,
    })),
  };
}
