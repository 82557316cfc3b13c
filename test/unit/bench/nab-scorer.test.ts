import { beforeAll, describe, expect, it } from 'vitest';
import {
  NAB_PROFILES,
  NEVER_THRESHOLD,
  parseNabTimestamp,
  probationRows,
  scoreNabCorpus,
  type NabFileInput,
  type NabProfile,
} from '../../../bench/nab/scorer.js';
import { InputError } from '../../../lib/errors.js';
import { readNabFixture, type NabFixtureDetector, type NabFixtureFile } from '../../fixtures/nab/nab-fixture.js';

const STANDARD = NAB_PROFILES[0] as NabProfile;
const MINUTE_MS = 60_000;
const START_MS = Date.UTC(2020, 0, 1);

/** The sigmoid of the NAB corpus' README (../shared/nab/README.md), written out independently of the scorer. */
function readmeSigmoid(y: number): number {
  return y > 3 ? -1 : 2 / (1 + Math.exp(5 * y)) - 1;
}

/** A synthetic file: `rows` rows one minute apart, scores 0 except where given. */
function syntheticFile(
  rows: number,
  windows: readonly (readonly [number, number])[],
  detections: Readonly<Record<number, number>>,
  name = 'synthetic/file.csv',
): NabFileInput {
  const timestampsMs = Float64Array.from({ length: rows }, (_, i) => START_MS + i * MINUTE_MS);
  const scores = new Float64Array(rows);
  for (const [row, score] of Object.entries(detections)) scores[Number(row)] = score;
  return {
    name,
    timestampsMs,
    scores,
    windows: windows.map(([left, right]) => [START_MS + left * MINUTE_MS, START_MS + right * MINUTE_MS] as const),
  };
}

function profileResult(files: readonly NabFileInput[], profile: NabProfile) {
  const [result] = scoreNabCorpus(files, [profile]);
  if (result === undefined) throw new Error('no result');
  return result;
}

describe('NAB scorer on synthetic files', () => {
  it('gives a detection at the left edge of a window the full true-positive weight', () => {
    // Prepare: 100 rows (probation 15), one window on rows 50..59, a detection at row 50.
    const file = syntheticFile(100, [[50, 59]], { 50: 1 });

    // Act
    const result = profileResult([file], STANDARD);

    // Assess: +1 for the window, null = -1, perfect = +1.
    expect(result.rawScore).toBeCloseTo(1, 12);
    expect(result.nullScore).toBe(-1);
    expect(result.perfectScore).toBe(1);
    expect(result.normalizedScore).toBeCloseTo(100, 10);
    expect(result.threshold).toBe(1);
  });

  it('gives a late detection little credit: at the right edge sig(-1/w) / sig(-1)', () => {
    const file = syntheticFile(100, [[50, 59]], { 59: 1 });

    const result = profileResult([file], STANDARD);

    expect(result.rawScore).toBeCloseTo(readmeSigmoid(-1 / 10) / readmeSigmoid(-1), 12);
    expect(result.rawScore).toBeGreaterThan(0.2);
    expect(result.rawScore).toBeLessThan(0.3);
  });

  it('counts only the best detection in a window', () => {
    const file = syntheticFile(100, [[50, 59]], { 52: 1, 55: 1, 58: 1 });

    const result = profileResult([file], STANDARD);

    expect(result.rawScore).toBeCloseTo(readmeSigmoid(-8 / 10) / readmeSigmoid(-1), 12);
    expect(result.files[0]?.tp).toBe(3);
    expect(result.files[0]?.windowsDetected).toBe(1);
  });

  it('costs -A_FN for every window without a detection', () => {
    const file = syntheticFile(200, [[50, 59], [120, 139]], {});

    const results = scoreNabCorpus([file]);

    expect(results.map((r) => r.rawScore)).toEqual([-2, -2, -4]);
    expect(results.map((r) => r.normalizedScore)).toEqual([0, 0, 0]);
    expect(results.every((r) => r.threshold === NEVER_THRESHOLD)).toBe(true);
  });

  it('charges -A_FP for a false positive before any window, per profile', () => {
    // Prepare: a false positive at row 30 (after probation, before the window) and a
    // detection at the left edge of the window; both score 1, so they fire together.
    const file = syntheticFile(100, [[80, 89]], { 30: 1, 80: 1 });

    const [standard, lowFp, lowFn] = scoreNabCorpus([file]);

    expect(standard?.rawScore).toBeCloseTo(1 - 0.11, 12);
    expect(lowFp?.rawScore).toBeCloseTo(1 - 0.22, 12);
    expect(lowFn?.rawScore).toBeCloseTo(1 - 0.11, 12);
    expect(standard?.files[0]?.fp).toBe(1);
  });

  it('charges a false positive after a window by its distance: sig(|i - r| / (w - 1)) * A_FP', () => {
    // Window rows 40..49 (w = 10), detected at its left edge; a false positive 5 rows after it.
    const file = syntheticFile(100, [[40, 49]], { 40: 1, 54: 1 });

    const result = profileResult([file], STANDARD);

    expect(result.rawScore).toBeCloseTo(1 + readmeSigmoid(5 / 9) * 0.11, 12);
    expect(result.rawScore).toBeLessThan(1);
  });

  it('ignores rows in probation, capped at 750 rows', () => {
    // Prepare: a top-scoring false positive at row 5 (inside probation, 15 rows of 100).
    const small = syntheticFile(100, [[50, 59]], { 5: 1, 50: 0.9 });
    // 10000 rows: probation is min(1500, 750) = 750, so row 800 is scored.
    const large = syntheticFile(10_000, [[5000, 5099]], { 800: 1, 5000: 1 }, 'synthetic/large.csv');

    const smallResult = profileResult([small], STANDARD);
    const largeResult = profileResult([large], STANDARD);

    expect(probationRows(100)).toBe(15);
    expect(probationRows(10_000)).toBe(750);
    expect(smallResult.rawScore).toBeCloseTo(1, 12);
    expect(smallResult.threshold).toBe(0.9);
    expect(smallResult.files[0]?.fp).toBe(0);
    expect(largeResult.rawScore).toBeCloseTo(1 - 0.11, 12);
  });

  it('chooses one threshold for the whole corpus, not one per file', () => {
    // Prepare: file A is best served by a high threshold (its 0.5 row is a false positive),
    // file B needs 0.5 to catch its window. One threshold must trade them off.
    const a = syntheticFile(100, [[50, 59]], { 50: 0.9, 30: 0.5 }, 'synthetic/a.csv');
    const b = syntheticFile(100, [[50, 59]], { 50: 0.5 }, 'synthetic/b.csv');

    const result = profileResult([a, b], STANDARD);

    // At 0.5: +1 +1 -0.11 beats 0.9: +1 -1.
    expect(result.threshold).toBe(0.5);
    expect(result.rawScore).toBeCloseTo(2 - 0.11, 12);
    expect(result.files.map((f) => f.name)).toEqual(['synthetic/a.csv', 'synthetic/b.csv']);
  });

  it('parses NAB timestamps as UTC, with or without microseconds', () => {
    expect(parseNabTimestamp('2014-04-10 07:15:00.000000')).toBe(Date.UTC(2014, 3, 10, 7, 15, 0));
    expect(parseNabTimestamp('2014-04-10 07:15:00')).toBe(Date.UTC(2014, 3, 10, 7, 15, 0));
    expect(() => parseNabTimestamp('10/04/2014 07:15')).toThrow(InputError);
  });

  it('rejects windows that are not rows of the file and scores outside [0, 1]', () => {
    const file = syntheticFile(100, [[50, 59]], {});
    const offGrid = { ...file, windows: [[START_MS + 30_000, START_MS + 59 * MINUTE_MS] as const] };
    const tooHigh = { ...file, scores: new Float64Array(100).fill(1.5) };

    expect(() => scoreNabCorpus([offGrid])).toThrow(/does not start and end on rows/);
    expect(() => scoreNabCorpus([tooHigh])).toThrow(/must be in \[0, 1\]/);
  });
});

// The published detectors' scores come from test/fixtures/nab (built from ../shared/nab by
// make-fixture.ts there), so the suite needs nothing beside the repository.
describe('NAB scorer on the published detectors (test/fixtures/nab)', () => {
  let files: NabFixtureFile[] = [];

  beforeAll(() => {
    files = readNabFixture();
  });

  function scoreReference(detector: NabFixtureDetector): number[] {
    const inputs = files.map((f) => ({ ...f, scores: f.referenceScores[detector] }));
    return scoreNabCorpus(inputs).map((r) => Math.round(r.normalizedScore * 100) / 100);
  }

  it('reproduces numenta (HTM): 69.45 / 63.02 / 73.61', () => {
    expect(files).toHaveLength(35);

    const [standard, lowFp, lowFn] = scoreReference('numenta');

    expect(standard).toBe(69.45);
    expect(lowFp).toBe(63.02);
    expect(lowFn).toBe(73.61);
  });

  it('reproduces randomCutForest: 46.63 / 38.58 / 55.62', () => {
    const [standard, lowFp, lowFn] = scoreReference('randomCutForest');

    expect(standard).toBe(46.63);
    expect(lowFp).toBe(38.58);
    expect(lowFn).toBe(55.62);
  });

  it('uses every labelled window of the subset in the perfect score', () => {
    const inputs = files.map((f) => ({ ...f, scores: new Float64Array(f.timestampsMs.length) }));

    const results = scoreNabCorpus(inputs);

    expect(results.map((r) => r.perfectScore)).toEqual([72, 72, 72]);
    expect(results.map((r) => r.nullScore)).toEqual([-72, -72, -144]);
  });
});
