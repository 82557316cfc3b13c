/**
 * A detector's state across runs: each series' points of the last window, kept in shards, and
 * each series' fitted model. A run opens it, reads from the source only what the state does not
 * hold, merges, evaluates every series against its stored model (refitting when the fit segment
 * moved on, as the stateless evaluation would), and saves it.
 *
 * Results never depend on the state: the merged windows equal what a full window read returns,
 * and a stored model is used only for the very segment, seed and settings it was fitted on (its
 * key holds a digest of the segment's points); anything else refits. So missing, corrupt or
 * older-format state costs one full window read (a cold run, logged with its reason) and no
 * alert storm; two overlapping runs each write complete shards and models, and the next run reads
 * from the oldest moment any shard covers.
 *
 * Layout in the blob store, under the detector's folder (lib/model/fingerprint.ts):
 *   points-I-of-N   shard I of N: series points + how far they are known (lib/model/shard-codec.ts)
 *   models/HASH     one series' fitted model (lib/model/model-blob.ts)
 */
import { evaluateSeries, type DetectionSettings, type EvaluationCache, type SeriesVerdict } from '../detect/evaluate.js';
import type { FittedSegment } from '../detect/fit-segment.js';
import { mapLimit } from '../concurrency.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { seriesKey, type Series } from '../series/index.js';
import type { BlobStore } from './blob-store.js';
import { StateFormatError } from './format-error.js';
import { detectorFolder, seriesFileName, shardOf, stateFingerprint } from './fingerprint.js';
import { decodeStoredModel, encodeStoredModel } from './model-blob.js';
import { decodeShard, encodeShard, type Shard } from './shard-codec.js';
import { mergePoints, toSeries, type SeriesPoints } from './series-points.js';

/** How the state is kept; `config.state` without the store. */
export interface DetectorStateOptions {
  /** Shards a detector's points are split into (each read and written whole every run). */
  shards: number;
  /** Steps before the state's newest moment that every run reads again (late samples). */
  rereadPoints: number;
  /** Models read and written at a time. */
  concurrency: number;
}

/** What a run did with the state: the summary line's `state`. */
export interface StateFigures {
  /** `warm`: read only what is new; `cold`: read the whole window (first run, lost or stale state). */
  mode: 'warm' | 'cold';
  /** Why the run was cold. */
  reason?: string;
  /** Samples the source returned. */
  samplesRead: number;
  /** Series evaluated. */
  series: number;
  /** Series whose model was fitted this run (the rest scored with the stored one). */
  refits: number;
  /** Series that left the window and were removed from the state. */
  expired: number;
  /** Bytes written to the store this run (shards and models). */
  bytesWritten: number;
  /** Bytes of state read from the store this run. */
  bytesRead: number;
  /** Wall time spent in store calls, ms (calls overlap; this is the sum). */
  storeMs: number;
  /** Store calls that failed (the run went on without them). */
  storeErrors: number;
}

type Detector = DetectionSettings & { query: string };

/** A detector's state for one run; made by {@link openDetectorState}. */
export interface DetectorState {
  /** Where the run's read starts: the window start when cold, else shortly before the state's newest moment. */
  readonly readStartMs: number;
  readonly figures: StateFigures;
  /** The series to evaluate: each window exactly as a full read of [startMs, endMs] returns it. */
  merge(fresh: readonly Series[]): Series[];
  /** Evaluates every merged series, with its stored model where that model still applies. */
  evaluate(series: readonly Series[], options: { dryRun: boolean }): Promise<SeriesVerdict[]>;
  /** Writes the shards (and removes what expired). Store failures are logged and counted, not thrown. */
  save(): Promise<void>;
}

/** Opens the state of `detector` for the window [startMs, endMs]: reads its shards. */
export async function openDetectorState(
  store: BlobStore,
  detector: Detector,
  window: { startMs: number; endMs: number },
  options: DetectorStateOptions,
  logger: Logger,
  /** The source's secret-free description (lib/sources/source.ts): state of another source is not used. */
  source: string,
): Promise<DetectorState> {
  const fingerprint = stateFingerprint(detector, source);
  const folder = detectorFolder(detector.name);
  const stepMs = detector.stepSeconds * 1000;
  const figures: StateFigures = {
    mode: 'cold',
    samplesRead: 0,
    series: 0,
    refits: 0,
    expired: 0,
    bytesWritten: 0,
    bytesRead: 0,
    storeMs: 0,
    storeErrors: 0,
  };

  /** A store call, timed; failures are logged, counted and answered with `fallback`. */
  const call = async <T>(what: string, key: string, run: () => Promise<T>, fallback: T): Promise<T> => {
    const started = performance.now();
    try {
      return await run();
    } catch (error) {
      figures.storeErrors++;
      logger.warn('detector state store call failed', { call: what, key, store: store.description, error: errorMessage(error) });
      return fallback;
    } finally {
      figures.storeMs += performance.now() - started;
    }
  };

  const shardKey = (i: number): string => `${folder}/points-${i}-of-${options.shards}`;
  const modelKey = (key: string): string => `${folder}/models/${seriesFileName(key)}`;

  // The shards, or why they cannot be used.
  const shards: Shard[] = [];
  let reason: string | undefined;
  let missing = 0;
  const raw = await mapLimit(Array.from({ length: options.shards }, (_, i) => i), options.concurrency, (i) =>
    call('get', shardKey(i), () => store.get(shardKey(i)), null),
  );
  for (const [i, bytes] of raw.entries()) {
    if (bytes === null) {
      reason ??= 'state store unreadable';
      continue;
    }
    if (bytes === undefined) {
      missing++;
      continue;
    }
    figures.bytesRead += bytes.length;
    try {
      const shard = decodeShard(bytes);
      if (shard.fingerprint !== fingerprint) reason ??= 'detector settings changed';
      else shards.push(shard);
    } catch (error) {
      if (!(error instanceof StateFormatError)) throw error;
      reason ??= `shard ${i} unusable: ${error.message}`;
    }
  }
  if (missing === options.shards) reason ??= 'no state yet';
  else if (missing > 0) reason ??= `${missing} of ${options.shards} shards missing`;
  const coveredToMs = Math.min(...shards.map((s) => s.coveredToMs));
  if (reason === undefined && coveredToMs < window.startMs) reason = 'state older than the window (runs missed)';
  if (reason === undefined && coveredToMs > window.endMs) reason = 'state newer than the window';

  const warm = reason === undefined;
  const readStartMs = warm ? Math.max(window.startMs, coveredToMs - options.rereadPoints * stepMs) : window.startMs;
  figures.mode = warm ? 'warm' : 'cold';
  if (!warm) {
    figures.reason = reason;
    // A first run is expected; anything else is worth a line: state was lost or unusable.
    const level = reason === 'no state yet' ? 'info' : 'warn';
    logger[level]('detector state rebuilt from a full window read', { reason, store: store.description });
  }

  const kept = new Map<string, SeriesPoints>();
  if (warm) for (const shard of shards) for (const s of shard.series) kept.set(seriesKey(s.labels), s);
  let merged: SeriesPoints[] = [];

  return {
    readStartMs,
    figures,

    merge(fresh) {
      const freshByKey = new Map<string, Series>();
      for (const s of fresh) {
        freshByKey.set(seriesKey(s.labels), s);
        figures.samplesRead += s.values.length + s.droppedNonFinite;
      }
      const out: Series[] = [];
      merged = [];
      const add = (points: SeriesPoints, dropped: number): void => {
        if (points.values.length === 0) {
          figures.expired++;
          return;
        }
        merged.push(points);
        out.push(toSeries(points, dropped));
      };
      for (const [key, s] of freshByKey) add(mergePoints(kept.get(key), s, readStartMs, window.startMs), s.droppedNonFinite);
      for (const [key, points] of kept) {
        if (!freshByKey.has(key)) add(mergePoints(points, undefined, readStartMs, window.startMs), 0);
      }
      figures.series = out.length;
      return out;
    },

    async evaluate(series, { dryRun }) {
      return mapLimit(series, options.concurrency, async (s) => {
        const key = seriesKey(s.labels);
        const stored = await loadModel(key);
        const cache: EvaluationCache = stored ? { fit: stored } : {};
        const verdict = evaluateSeries(s, detector, { windowEndMs: window.endMs, cache });
        const refitted = !verdict.insufficient && cache.fit !== undefined && cache.fit !== stored;
        if (refitted) figures.refits++;
        // A window one subsample covers is refitted every run (lib/detect/fit-segment.ts): its
        // model is never used again, so it is not written.
        if (refitted && !dryRun && verdict.points > detector.maxSamples) {
          const bytes = encodeStoredModel({ fingerprint, seriesKey: key, fit: cache.fit! });
          figures.bytesWritten += bytes.length;
          await call('put', modelKey(key), () => store.put(modelKey(key), bytes), undefined);
        }
        return verdict;
      });
    },

    async save() {
      const byShard: SeriesPoints[][] = Array.from({ length: options.shards }, () => []);
      for (const points of merged) byShard[shardOf(seriesKey(points.labels), options.shards)]!.push(points);
      await mapLimit(byShard, options.concurrency, async (series, i) => {
        const bytes = encodeShard({ fingerprint, coveredToMs: window.endMs, series });
        figures.bytesWritten += bytes.length;
        await call('put', shardKey(i), () => store.put(shardKey(i), bytes), undefined);
      });
      const current = new Set(merged.map((points) => modelKey(seriesKey(points.labels))));
      const gone = [...kept.keys()].map(modelKey).filter((key) => !current.has(key));
      // After a cold run nothing says which models are orphaned (series gone while the state was
      // lost, shards of another count): list the folder and keep only what this run knows.
      const listed = warm
        ? []
        : await call('list', `${folder}/`, () => store.list(`${folder}/`), [] as string[]);
      const shardKeys = new Set(Array.from({ length: options.shards }, (_, i) => shardKey(i)));
      for (const key of listed) {
        if (key.startsWith(`${folder}/models/`) ? !current.has(key) : !shardKeys.has(key)) gone.push(key);
      }
      await mapLimit(gone, options.concurrency, (key) => call('delete', key, () => store.delete(key), undefined));
    },
  };

  /** The stored model of a series when it is one of these settings; undefined otherwise. */
  async function loadModel(key: string): Promise<FittedSegment | undefined> {
    const bytes = await call('get', modelKey(key), () => store.get(modelKey(key)), undefined);
    if (bytes === undefined) return undefined;
    figures.bytesRead += bytes.length;
    try {
      const model = decodeStoredModel(bytes);
      return model.fingerprint === fingerprint && model.seriesKey === key ? model.fit : undefined;
    } catch (error) {
      if (!(error instanceof StateFormatError)) throw error;
      logger.warn('stored model unusable; refitting', { series: key, error: error.message });
      return undefined;
    }
  }
}
