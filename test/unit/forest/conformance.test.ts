import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNumericCsv } from '../../../lib/csv/index.js';
import { fitForest, matrixFromColumns } from '../../../lib/forest/index.js';
import { spearman, topIndices } from './rank-statistics.js';

// Fixtures made by scikit-learn 1.2 with test/fixtures/sklearn/make_fixtures.py (see its
// docstring); CI has no Python, so these tests only read the committed files.
const fixtures = new URL('../../fixtures/sklearn/', import.meta.url);

interface Manifest {
  sklearn_version: string;
  cases: Record<string, { file: string; rows: number; features: string[]; spikes: number[]; top_k: number }>;
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

const manifest = JSON.parse(readFileSync(new URL('manifest.json', fixtures), 'utf8')) as Manifest;

describe(`conformance with scikit-learn ${manifest.sklearn_version} IsolationForest`, () => {
  it('covers n = 120, 1440 and 10080 with one and three features', () => {
    expect(Object.keys(manifest.cases).sort()).toEqual(
      ['n120_uni', 'n120_3f', 'n1440_uni', 'n1440_3f', 'n10080_uni', 'n10080_3f'].sort(),
    );
  });

  for (const [name, spec] of Object.entries(manifest.cases)) {
    it(`${name}: ranks rows like scikit-learn, same mean score, every spike in the top ${spec.top_k}`, () => {
      // Prepare
      const table = parseNumericCsv(readFileSync(new URL(spec.file, fixtures), 'utf8'), { source: spec.file });
      const expected = table.columns.find((column) => column.name === 'sklearn_score')!.values;
      const features = table.columns.filter((column) => spec.features.includes(column.name));
      expect(features.map((column) => column.name)).toEqual(spec.features);
      const matrix = matrixFromColumns(features.map((column) => column.values));

      // Act
      const scores = fitForest(matrix, { trees: 1000, maxSamples: 256, seed: 42 }).score(matrix);

      // Assess
      expect(scores).toHaveLength(spec.rows);
      expect(spearman(scores, expected)).toBeGreaterThanOrEqual(0.97);
      expect(Math.abs(mean(scores) - mean(expected))).toBeLessThanOrEqual(0.01);
      const top = new Set(topIndices(scores, spec.top_k));
      for (const spike of spec.spikes) expect(top.has(spike), `spike at row ${spike} in our top ${spec.top_k}`).toBe(true);
    });
  }
});
