/**
 * The project's own implementation of the Numenta Anomaly Benchmark (NAB) scoring method, as
 * described in ../shared/nab/README.md and implemented upstream in numenta/NAB
 * (nab/sweeper.py, nab/optimizer.py, nab/runner.py). Pure: no I/O; the loaders live in
 * corpus.ts.
 *
 * Edge cases follow upstream on purpose, so that published numbers reproduce:
 * - probation is the first min(floor(0.15 * rows), 750) rows; they are dropped entirely (a
 *   window that lies wholly inside probation is not scorable, but still counts in the
 *   perfect score, as in NAB's `normalize`);
 * - a row inside a window of width w (rows) whose right edge is row r is worth
 *   sig(-(r - i + 1) / w) / sig(-1) * A_TP; only the best detection of a window counts;
 * - a row after a window is worth sig(|i - r_prev| / (w_prev - 1)) * A_FP, before any
 *   window -A_FP; sig(y) = -1 for y > 3;
 * - the threshold is swept over every distinct score of the whole corpus, from "never fire"
 *   (1.1) downwards; a row is a detection when score >= threshold; among equal totals the
 *   highest threshold wins (Python's stable sort on the sweep list);
 * - S_null is the score of the null detector run through the same optimiser (a constant
 *   score), S_perfect = A_TP * number of windows.
 */
import { InputError } from '../../lib/errors.js';

/** A NAB application profile: the weights of true positives, false negatives, false positives. */
export interface NabProfile {
  readonly name: 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';
  readonly tpWeight: number;
  readonly fnWeight: number;
  readonly fpWeight: number;
}

/** The three profiles of NAB's config/profiles.json. */
export const NAB_PROFILES: readonly NabProfile[] = Object.freeze([
  { name: 'standard', tpWeight: 1, fnWeight: 1, fpWeight: 0.11 },
  { name: 'reward_low_FP_rate', tpWeight: 1, fnWeight: 1, fpWeight: 0.22 },
  { name: 'reward_low_FN_rate', tpWeight: 1, fnWeight: 2, fpWeight: 0.11 },
]);

/** Fraction of each file that is not scored (NAB's `probationaryPercent`). */
export const PROBATION_FRACTION = 0.15;
/** Upper bound of probation in rows: NAB uses `probationPercent * 5000`. */
export const PROBATION_MAX_ROWS = 750;
/** The threshold above every allowed score: no row is a detection. */
export const NEVER_THRESHOLD = 1.1;

/** One labelled data file with a detector's anomaly score for every row. */
export interface NabFileInput {
  /** `category/name.csv`, used in messages and results. */
  readonly name: string;
  /** Row timestamps in epoch milliseconds (UTC), ascending. */
  readonly timestampsMs: ArrayLike<number>;
  /** Anomaly score of every row, each in [0, 1]. */
  readonly scores: ArrayLike<number>;
  /** Labelled anomaly windows `[start, end]` (inclusive) in epoch milliseconds. */
  readonly windows: readonly (readonly [number, number])[];
}

/** Per-file result at the chosen threshold (NAB's `<detector>_<profile>_scores.csv` rows). */
export interface NabFileScore {
  readonly name: string;
  readonly score: number;
  /** Detections inside windows (rows, not windows), as NAB counts them. */
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
  readonly windows: number;
  /** Windows with at least one detection. */
  readonly windowsDetected: number;
}

/** The outcome of one profile over the corpus. */
export interface NabProfileResult {
  readonly profile: NabProfile;
  /** Detection when score >= threshold; {@link NEVER_THRESHOLD} means never fire. */
  readonly threshold: number;
  /** Raw NAB score S at that threshold. */
  readonly rawScore: number;
  readonly nullScore: number;
  readonly perfectScore: number;
  /** 100 * (S - S_null) / (S_perfect - S_null). */
  readonly normalizedScore: number;
  readonly files: readonly NabFileScore[];
}

/** Scaled sigmoid of NAB: 2 / (1 + e^(5y)) - 1, and -1 beyond 3 (a far false positive). */
export function scaledSigmoid(relativePosition: number): number {
  if (relativePosition > 3) return -1;
  return 2 / (1 + Math.exp(5 * relativePosition)) - 1;
}

/** Rows at the start of a file that are not scored: min(floor(0.15 * rows), 750). */
export function probationRows(rowCount: number): number {
  return Math.min(Math.floor(PROBATION_FRACTION * rowCount), PROBATION_MAX_ROWS);
}

const TIMESTAMP_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z?$/;

/**
 * Parses a NAB timestamp such as `2014-04-10 07:15:00` or `2014-04-10 07:15:00.000000` as
 * UTC (NAB's files carry no zone; `Date.parse` would read them as local time).
 */
export function parseNabTimestamp(text: string): number {
  const match = TIMESTAMP_PATTERN.exec(text.trim());
  if (match === null) {
    throw new InputError(`not a NAB timestamp (expected YYYY-MM-DD HH:MM:SS[.ffffff]): "${text}"`);
  }
  const [, year, month, day, hour, minute, second, fraction] = match;
  const wholeMs = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  );
  // Keep sub-millisecond digits as a fraction so that equal strings give equal numbers and
  // different ones stay different.
  const fractionMs = fraction === undefined ? 0 : Number(`0.${fraction}`) * 1000;
  return wholeMs + fractionMs;
}

/** Row kind in the sweep: scored outside any window, or the id of the window it lies in. */
const OUTSIDE = -1;

/**
 * A file's rows after probation, laid out for the sweep: profile-independent positions
 * (the unweighted sigmoid value of a detection at that row) and the window each row is in.
 */
interface PreparedFile {
  readonly name: string;
  /** Index of the first scored row in the original file. */
  readonly firstRow: number;
  readonly scores: Float64Array;
  /** scaledSigmoid value of a detection at this row (TP in a window, FP outside). */
  readonly unweighted: Float64Array;
  /** Global window id, or {@link OUTSIDE}. */
  readonly windowIds: Int32Array;
  /** Global ids of this file's windows that have at least one scored row. */
  readonly scorableWindowIds: readonly number[];
  /** All windows of the file, scorable or not (they all count in the perfect score). */
  readonly windowCount: number;
}

/** Checks scores and windows and lays out one file for scoring. */
function prepareFile(file: NabFileInput, firstWindowId: number): PreparedFile {
  const rowCount = file.timestampsMs.length;
  if (file.scores.length !== rowCount) {
    throw new InputError(
      `${file.name}: ${file.scores.length} anomaly scores for ${rowCount} rows; there must be one per row`,
    );
  }
  for (let i = 0; i < rowCount; i += 1) {
    const score = file.scores[i] as number;
    if (!(score >= 0 && score <= 1)) {
      throw new InputError(`${file.name}: anomaly score of row ${i + 1} is ${score}; scores must be in [0, 1]`);
    }
  }

  // Row index of each timestamp, for locating window edges exactly as NAB does
  // (`timestamps.index(...)`: the first row with exactly that timestamp).
  const rowOf = new Map<number, number>();
  for (let i = 0; i < rowCount; i += 1) {
    const t = file.timestampsMs[i] as number;
    if (!rowOf.has(t)) rowOf.set(t, i);
  }
  const windowRows = file.windows.map(([startMs, endMs], k) => {
    const left = rowOf.get(startMs);
    const right = rowOf.get(endMs);
    if (left === undefined || right === undefined) {
      // Upstream silently skips a window whose start is not a row and crashes when its end
      // is not; both mean the labels do not belong to this data, so say so.
      throw new InputError(
        `${file.name}: anomaly window ${k + 1} [${new Date(startMs).toISOString()}, ${new Date(endMs).toISOString()}] does not start and end on rows of the file`,
      );
    }
    if (right < left) {
      throw new InputError(`${file.name}: anomaly window ${k + 1} ends before it starts`);
    }
    return { left, right };
  });
  for (let k = 1; k < windowRows.length; k += 1) {
    if ((windowRows[k] as { left: number }).left <= (windowRows[k - 1] as { right: number }).right) {
      throw new InputError(`${file.name}: anomaly windows ${k} and ${k + 1} overlap or are out of order`);
    }
  }

  const maxTp = scaledSigmoid(-1);
  const firstRow = Math.min(probationRows(rowCount), rowCount);
  const scored = rowCount - firstRow;
  const scores = new Float64Array(scored);
  const unweighted = new Float64Array(scored);
  const windowIds = new Int32Array(scored);
  const scorable = new Set<number>();

  let next = 0; // next window to enter
  let current: { left: number; right: number; id: number } | undefined;
  let previous: { right: number; width: number } | undefined;
  for (let i = 0; i < rowCount; i += 1) {
    const pending = windowRows[next];
    if (current === undefined && pending !== undefined && pending.left === i) {
      current = { ...pending, id: firstWindowId + next };
      next += 1;
    }
    let value: number;
    let windowId = OUTSIDE;
    if (current !== undefined) {
      const width = current.right - current.left + 1;
      value = scaledSigmoid(-(current.right - i + 1) / width) / maxTp;
      windowId = current.id;
    } else if (previous === undefined) {
      value = -1;
    } else {
      // A one-row window makes this a division by zero upstream (Python raises); we give
      // the farthest false-positive value instead.
      value = previous.width > 1 ? scaledSigmoid(Math.abs(previous.right - i) / (previous.width - 1)) : -1;
    }
    if (i >= firstRow) {
      const j = i - firstRow;
      scores[j] = file.scores[i] as number;
      unweighted[j] = value;
      windowIds[j] = windowId;
      if (windowId !== OUTSIDE) scorable.add(windowId);
    }
    if (current !== undefined && i === current.right) {
      previous = { right: current.right, width: current.right - current.left + 1 };
      current = undefined;
    }
  }

  return {
    name: file.name,
    firstRow,
    scores,
    unweighted,
    windowIds,
    scorableWindowIds: [...scorable],
    windowCount: windowRows.length,
  };
}

/** Every scored row of the corpus, sorted by anomaly score, highest first. */
interface PreparedCorpus {
  readonly files: readonly PreparedFile[];
  readonly windowCount: number;
  readonly scorableWindowIds: readonly number[];
  readonly scores: Float64Array;
  readonly unweighted: Float64Array;
  readonly windowIds: Int32Array;
  /** Row indices into the flat arrays, by descending score. */
  readonly order: Uint32Array;
}

function prepareCorpus(files: readonly NabFileInput[]): PreparedCorpus {
  const prepared: PreparedFile[] = [];
  let windowCount = 0;
  for (const file of files) {
    const one = prepareFile(file, windowCount);
    prepared.push(one);
    windowCount += one.windowCount;
  }
  const total = prepared.reduce((sum, f) => sum + f.scores.length, 0);
  const scores = new Float64Array(total);
  const unweighted = new Float64Array(total);
  const windowIds = new Int32Array(total);
  let offset = 0;
  for (const f of prepared) {
    scores.set(f.scores, offset);
    unweighted.set(f.unweighted, offset);
    windowIds.set(f.windowIds, offset);
    offset += f.scores.length;
  }
  const order = new Uint32Array(total);
  for (let i = 0; i < total; i += 1) order[i] = i;
  // Ties keep corpus order, like Python's stable sort; the outcome does not depend on it
  // because a threshold takes all rows of equal score together.
  order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  return {
    files: prepared,
    windowCount,
    scorableWindowIds: prepared.flatMap((f) => f.scorableWindowIds),
    scores,
    unweighted,
    windowIds,
    order,
  };
}

/** One point of the threshold sweep: the corpus score when rows >= threshold fire. */
export interface ThresholdScore {
  readonly threshold: number;
  readonly score: number;
}

/**
 * NAB's sweep (`Sweeper.calcScoreByThreshold`): lowers the threshold through every distinct
 * score and keeps a running total, so the whole curve costs one pass over the sorted rows.
 */
function sweep(corpus: PreparedCorpus, profile: NabProfile, visit: (point: ThresholdScore) => void): void {
  const best = new Float64Array(corpus.windowCount).fill(Number.NaN);
  let windowsPart = 0;
  for (const id of corpus.scorableWindowIds) {
    best[id] = -profile.fnWeight;
    windowsPart -= profile.fnWeight;
  }
  let fpPart = 0;
  let threshold = NEVER_THRESHOLD;
  const { order, scores, unweighted, windowIds } = corpus;
  for (let k = 0; k < order.length; k += 1) {
    const row = order[k] as number;
    const score = scores[row] as number;
    if (score !== threshold) {
      visit({ threshold, score: windowsPart + fpPart });
      threshold = score;
    }
    const windowId = windowIds[row] as number;
    if (windowId === OUTSIDE) {
      fpPart += (unweighted[row] as number) * profile.fpWeight;
    } else {
      const value = (unweighted[row] as number) * profile.tpWeight;
      const previous = best[windowId] as number;
      if (value > previous) {
        windowsPart += value - previous;
        best[windowId] = value;
      }
    }
  }
  visit({ threshold, score: windowsPart + fpPart });
}

/** The best threshold of the corpus for one profile (highest score; ties: highest threshold). */
function optimize(corpus: PreparedCorpus, profile: NabProfile): ThresholdScore {
  let bestPoint: ThresholdScore = { threshold: NEVER_THRESHOLD, score: Number.NEGATIVE_INFINITY };
  sweep(corpus, profile, (point) => {
    if (point.score > bestPoint.score) bestPoint = point;
  });
  return bestPoint;
}

/** Scores one file at a fixed threshold, with NAB's row counts. */
function scoreFile(file: PreparedFile, profile: NabProfile, threshold: number): NabFileScore {
  const best = new Map<number, number>();
  for (const id of file.scorableWindowIds) best.set(id, -profile.fnWeight);
  let fpPart = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let j = 0; j < file.scores.length; j += 1) {
    const detected = (file.scores[j] as number) >= threshold;
    const windowId = file.windowIds[j] as number;
    if (windowId === OUTSIDE) {
      if (detected) {
        fp += 1;
        fpPart += (file.unweighted[j] as number) * profile.fpWeight;
      } else {
        tn += 1;
      }
    } else if (detected) {
      tp += 1;
      const value = (file.unweighted[j] as number) * profile.tpWeight;
      if (value > (best.get(windowId) as number)) best.set(windowId, value);
    } else {
      fn += 1;
    }
  }
  let windowsPart = 0;
  let windowsDetected = 0;
  for (const value of best.values()) {
    windowsPart += value;
    if (value !== -profile.fnWeight) windowsDetected += 1;
  }
  return {
    name: file.name,
    score: windowsPart + fpPart,
    tp,
    fp,
    fn,
    tn,
    windows: file.windowCount,
    windowsDetected,
  };
}

/** The full threshold curve of one profile (for plots and experiments). */
export function thresholdCurve(files: readonly NabFileInput[], profile: NabProfile): ThresholdScore[] {
  const points: ThresholdScore[] = [];
  sweep(prepareCorpus(files), profile, (point) => points.push(point));
  return points;
}

/**
 * Scores a corpus the way NAB's `run.py --optimize --score --normalize` does: per profile,
 * one threshold for all files (the best), the per-file scores at it, and the normalised score
 * against the null detector (never fires) and the perfect one (every window at its left edge).
 */
export function scoreNabCorpus(
  files: readonly NabFileInput[],
  profiles: readonly NabProfile[] = NAB_PROFILES,
): NabProfileResult[] {
  if (files.length === 0) throw new InputError('no files to score');
  const corpus = prepareCorpus(files);
  // The null detector emits one constant score for every row (NAB's null detector: 0.5).
  const nullCorpus = prepareCorpus(files.map((f) => ({ ...f, scores: new Float64Array(f.scores.length).fill(0.5) })));
  return profiles.map((profile) => {
    const chosen = optimize(corpus, profile);
    const nullScore = optimize(nullCorpus, profile).score;
    const perfectScore = profile.tpWeight * corpus.windowCount;
    const fileScores = corpus.files.map((f) => scoreFile(f, profile, chosen.threshold));
    const rawScore = fileScores.reduce((sum, f) => sum + f.score, 0);
    return {
      profile,
      threshold: chosen.threshold,
      rawScore,
      nullScore,
      perfectScore,
      normalizedScore: (100 * (rawScore - nullScore)) / (perfectScore - nullScore),
      files: fileScores,
    };
  });
}
