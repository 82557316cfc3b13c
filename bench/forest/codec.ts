/**
 * The codec lines of `npm run bench:forest`: the default forest (100 trees, psi 256, 4 features,
 * fitted on 1,300 rows) and the default detector's fitted segment (lib/detect/fit-segment.ts, a
 * one-day window at a 1-minute step) as bytes, against the forest's arrays in memory, and the time
 * to write and read them against the time to fit them. Ratios within one run are what count.
 */
import { defaultDetector } from '../../lib/config/defaults.js';
import { fitSegment, fitSegmentBounds } from '../../lib/detect/fit-segment.js';
import { decodeModel, encodeModel } from '../../lib/detect/model-codec.js';
import { windowPoints } from '../../lib/detect/window.js';
import { decodeForest, encodeForest, fitForest, matrixFromRows } from '../../lib/forest/index.js';
import { forestParts } from '../../lib/forest/isolation-forest.js';

/** bench/forest/run.ts's timer: the median ms of `work` after `warmup` runs. */
type Timer = (work: (run: number) => void, warmup: number, minRuns: number, maxRuns: number, budgetMs: number) => number;

/** bench/forest/run.ts's metric-like rows. */
type MakeRows = (n: number, features: number, seed: number) => number[][];

export interface CodecFigures {
  forest_bytes: number;
  forest_array_bytes: number;
  fit_ms: number;
  encode_ms: number;
  decode_ms: number;
  segment_bytes: number;
  segment_fit_ms: number;
  segment_decode_ms: number;
}

const forestCase = { n: 1300, features: 4, trees: 100, maxSamples: 256 } as const;
/** Forests of this many seeds are written and read in turn, so no one forest is special. */
const seeds = 20;

export function measureCodec(makeRows: MakeRows, time: Timer): CodecFigures {
  const { n, features, trees, maxSamples } = forestCase;
  const matrix = matrixFromRows(makeRows(n, features, n + features));
  const forests = Array.from({ length: seeds }, (_, seed) => fitForest(matrix, { trees, maxSamples, seed }));
  const encoded = forests.map((forest) => encodeForest(forest));
  const { layout } = forestParts(forests[0]!)!;
  const arrays = layout.kind === 'general' ? [layout.trees.threshold, layout.trees.feature, layout.trees.leafValue] : [];

  // The default detector's segment of a one-day window of the same kind of data.
  const detector = defaultDetector();
  const spacingMs = detector.stepSeconds * 1000;
  const points = windowPoints(detector);
  const window = {
    timestampsMs: Float64Array.from({ length: points }, (_, i) => Date.UTC(2024, 0, 1) + i * spacingMs),
    values: Float64Array.from(makeRows(points, 1, points), (row) => row[0]!),
  };
  const endMs = window.timestampsMs[points - 1]!;
  const { start, end, fitEndMs } = fitSegmentBounds(window, endMs, spacingMs, detector.minPoints, detector, '{}');
  const segment = (seed: number) => fitSegment(window, start, end, fitEndMs, seed, detector, spacingMs, undefined);
  const segments = Array.from({ length: seeds }, (_, seed) => encodeModel(segment(seed)));

  let sink = 0;
  const figures: CodecFigures = {
    forest_bytes: Math.round(encoded.reduce((sum, bytes) => sum + bytes.length, 0) / seeds),
    forest_array_bytes: arrays.reduce((sum, array) => sum + array.byteLength, 0),
    fit_ms: time((run) => (sink += fitForest(matrix, { trees, maxSamples, seed: run }).trees), 10, 15, 200, 1000),
    encode_ms: time((run) => (sink += encodeForest(forests[run % seeds]!).length), 50, 15, 2000, 1000),
    decode_ms: time((run) => (sink += decodeForest(encoded[run % seeds]!).trees), 200, 15, 5000, 1000),
    segment_bytes: Math.round(segments.reduce((sum, bytes) => sum + bytes.length, 0) / seeds),
    segment_fit_ms: time((run) => (sink += segment(run).mean), 10, 15, 200, 1000),
    segment_decode_ms: time((run) => (sink += decodeModel(segments[run % seeds]!).mean), 200, 15, 5000, 1000),
  };
  if (!Number.isFinite(sink)) throw new Error('non-finite sink');
  return figures;
}

function ms(value: number): string {
  return value < 10 ? value.toFixed(3) : value.toFixed(1);
}

/** Two lines for the table: the forest, and the whole fitted segment. */
export function codecLine(f: CodecFigures): string {
  const { n, features } = forestCase;
  return (
    `codec n${n}_${features}f forest: ${f.forest_bytes} bytes (arrays ${f.forest_array_bytes}, ${(f.forest_array_bytes / f.forest_bytes).toFixed(1)}x), ` +
    `fit ${ms(f.fit_ms)} ms, encode ${ms(f.encode_ms)} ms, decode ${ms(f.decode_ms)} ms (fit/decode ${(f.fit_ms / f.decode_ms).toFixed(0)}x)\n` +
    `codec default fitted segment: ${f.segment_bytes} bytes, fitSegment ${ms(f.segment_fit_ms)} ms, decode ${ms(f.segment_decode_ms)} ms ` +
    `(fit/decode ${(f.segment_fit_ms / f.segment_decode_ms).toFixed(0)}x)`
  );
}
