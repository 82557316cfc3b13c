/**
 * The embedded demo (`npm start`) must show its anomaly whenever it is run: through the real
 * config loader, file source and detection, at many different run times (the forest's seed
 * depends on the window end), checkout's p99 latency is anomalous now and nothing else is.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../lib/config/load-config.js';
import { detectionWindow } from '../../../../lib/detect/window.js';
import { evaluateSeries } from '../../../../lib/detect/evaluate.js';
import { createMetricSource } from '../../../../lib/sources/create-source.js';

const configPath = fileURLToPath(new URL('../../../../examples/demo/config.yaml', import.meta.url));

describe('embedded demo recording', () => {
  it('flags only the checkout latency spike, at any run time', async () => {
    // Prepare
    const config = await loadConfig({
      argvConfigPath: configPath,
      env: {},
      readFile: (path) => readFile(path, 'utf8'),
      tmpdir: () => '/unused',
    });
    const source = createMetricSource(config.prometheus);
    const runTimesMs = Array.from({ length: 40 }, (_, i) => Date.UTC(2025, 0, 1) + i * 3_600_000 + i * 7_919);

    // Act
    const anomalous = new Map<string, number>();
    for (const nowMs of runTimesMs) {
      for (const detector of config.detectors) {
        const window = detectionWindow(detector, nowMs);
        const series = await source.queryRange({ query: detector.query, ...window, stepSeconds: detector.stepSeconds });
        expect(series).toHaveLength(2);
        for (const s of series) {
          const verdict = evaluateSeries(s, detector, { windowEndMs: window.endMs });
          expect(verdict.insufficient).toBe(false);
          if (!verdict.insufficient && verdict.anomalous) {
            const key = `${detector.name}/${s.labels.service}`;
            anomalous.set(key, (anomalous.get(key) ?? 0) + 1);
          }
        }
      }
    }

    // Assess
    expect(Object.fromEntries(anomalous)).toEqual({ 'latency-p99/checkout': runTimesMs.length });
  });
});
