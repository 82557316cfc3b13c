/**
 * A complete detector from the configuration's defaults. The defaults themselves live in one
 * place, lib/config/schema.ts (`configDefaults`), which also fills absent keys of a config file;
 * the backtest without a config and the NAB benchmark build their detector here, so they can
 * never drift from what `run` uses.
 */
import type { DetectorConfig } from '../config/config.js';
import { envDetectorName } from '../config/env-config.js';
import { configDefaults } from '../config/schema.js';

/** Every detector setting that has a default (all but name and query). */
export type DetectorDefaults = Omit<DetectorConfig, 'name' | 'query'>;

/** The detector settings `run` gets for every key a config leaves out. */
export const detectorDefaults: Readonly<DetectorDefaults> = Object.freeze({
  windowMinutes: configDefaults.windowMinutes,
  stepSeconds: configDefaults.stepSeconds,
  minPoints: configDefaults.minPoints,
  contamination: configDefaults.contamination,
  minScore: configDefaults.minScore,
  forEvaluations: configDefaults.forEvaluations,
  features: Object.freeze([...configDefaults.features]),
  trees: configDefaults.trees,
  maxSamples: configDefaults.maxSamples,
  refitEveryPoints: configDefaults.refitEveryPoints,
  smoothPoints: configDefaults.smoothPoints,
  suppressPoints: configDefaults.suppressPoints,
  severity: configDefaults.severity,
  labels: Object.freeze({}),
});

/**
 * The name of a detector built from defaults alone: the same as the detector the seed's
 * environment variables make, so a backtest without a config seeds its forests as that run does.
 */
export const defaultDetectorName = envDetectorName;

/** A complete detector from the defaults, with `overrides` on top (backtests, benchmarks, tests). */
export function defaultDetector(overrides: Partial<DetectorConfig> = {}): DetectorConfig {
  return { ...detectorDefaults, name: defaultDetectorName, query: '', ...overrides };
}
