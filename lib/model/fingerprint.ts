/**
 * What state depends on, as one short string: the source, the query and every detection setting. State
 * written under other settings is not used (the run rebuilds it from a window read), so editing
 * a detector never scores with a model of the old settings.
 */
import { createHash } from 'node:crypto';
import type { DetectionSettings } from '../detect/evaluate.js';
import { fnv1a32 } from '../series/index.js';

/** Bumped when what the state means changes without its byte format changing. */
const semanticsVersion = 1;

export function stateFingerprint(detector: DetectionSettings & { query: string }, source: string): string {
  const settings = {
    v: semanticsVersion,
    // Another Prometheus (a moved config, a test server) holds other series under the same query.
    source,
    name: detector.name,
    query: detector.query,
    windowMinutes: detector.windowMinutes,
    stepSeconds: detector.stepSeconds,
    minPoints: detector.minPoints,
    contamination: detector.contamination,
    minScore: detector.minScore,
    features: detector.features,
    trees: detector.trees,
    maxSamples: detector.maxSamples,
    refitEveryPoints: detector.refitEveryPoints,
    smoothPoints: detector.smoothPoints,
    suppressPoints: detector.suppressPoints,
  };
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 16);
}

/**
 * The folder of a detector's state: its name made safe for a file or object key, plus a hash of
 * the exact name so two names that sanitise alike stay apart.
 */
export function detectorFolder(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 64) || 'detector';
  return `${safe}-${fnv1a32(name).toString(16).padStart(8, '0')}`;
}

/** A series' file name inside its detector's folder: 64 bits of SHA-256 of the series key. */
export function seriesFileName(seriesKey: string): string {
  return createHash('sha256').update(seriesKey).digest('hex').slice(0, 16);
}

/** The shard (0 .. shards - 1) a series' points are kept in. */
export function shardOf(seriesKey: string, shards: number): number {
  return fnv1a32(seriesKey) % shards;
}
