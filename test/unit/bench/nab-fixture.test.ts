import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors.js';
import {
  decodeNabFixture,
  expandStepRuns,
  readNabFixture,
  stepRuns,
  type NabFixtureJson,
} from '../../fixtures/nab/nab-fixture.js';

describe('NAB fixture (test/fixtures/nab)', () => {
  it('keeps uneven and repeated timestamps exactly through its step runs', () => {
    // Prepare: even 5-minute steps, a 10-minute gap, a repeated timestamp (NAB has all three).
    const timestampsMs = [0, 300_000, 600_000, 900_000, 1_500_000, 1_500_000, 1_800_000];

    // Act
    const runs = stepRuns(timestampsMs);

    // Assess
    expect(runs).toEqual([[300_000, 3], [600_000, 1], [0, 1], [300_000, 1]]);
    expect(Array.from(expandStepRuns(0, runs))).toEqual(timestampsMs);
    expect(stepRuns([42])).toEqual([]);
    expect(Array.from(expandStepRuns(42, []))).toEqual([42]);
  });

  it('rejects a file whose score count does not match its rows', () => {
    const fixture: NabFixtureJson = {
      format: 1,
      source: 'test',
      files: [{ name: 'a/b.csv', start: '2014-04-01 00:00:00', stepRunsMs: [[300_000, 2]], scores: { numenta: [0, 0, 0], randomCutForest: [0, 0] } }],
      windows: { 'a/b.csv': [] },
    };

    expect(() => decodeNabFixture(fixture, 'fixture.json')).toThrow(InputError);
    expect(() => decodeNabFixture(fixture, 'fixture.json')).toThrow(/2 randomCutForest scores for 3 rows/);
  });

  it('holds the 35 files of the subset, evenly spaced or not, with 72 windows', () => {
    const files = readNabFixture();

    expect(files).toHaveLength(35);
    expect(files.reduce((sum, f) => sum + f.windows.length, 0)).toBe(72);
    // nyc_taxi is evenly spaced (30 min); TravelTime_387 is not.
    const steps = (name: string) => new Set(stepRuns(files.find((f) => f.name.endsWith(name))!.timestampsMs).map(([s]) => s));
    expect([...steps('nyc_taxi.csv')]).toEqual([1_800_000]);
    expect(steps('TravelTime_387.csv').size).toBeGreaterThan(1);
  });
});
